use super::*;

#[test]
fn every_field_s_problem_is_told_beside_it_at_once() {
    let mut fields = RolloutFields::opening("".into(), false, 0);
    fields.draft.preset = Preset::Custom;
    fields.draft.phases = "1, ten".into();
    fields.draft.concurrency = "0".into();
    fields.use_window = true;
    fields.window.1 = "25".into();
    let ids: Vec<&str> = fields.problems().iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        [
            "rollout-target",
            "rollout-concurrency",
            "rollout-phases",
            "rollout-window-end"
        ]
    );
    assert!(fields.problems()[2].1.contains("'ten' is not a phase size"));
    fields.target = "KA1".into();
    fields.draft.phases = "1, 10%".into();
    fields.draft.concurrency = "4".into();
    fields.window.1 = "6".into();
    assert!(fields.problems().is_empty());
    assert!(fields.request(&[]).is_ok());
}

#[test]
fn the_reach_says_how_many_in_which_phases() {
    let mut preview = fleet_engine::rollout::planning::Preview {
        target_sid: "KA1".into(),
        target_name: "fw".into(),
        devices: 42,
        phase_sizes: vec![4, 18, 18],
        first_phase: vec![],
        skipped: vec!["a".into(), "b".into()],
    };
    assert_eq!(
        reach_text(&preview),
        "42 devices: 40 to write in 3 phases (4, 18, 18), 2 already on the app."
    );
    preview.devices = 1;
    preview.phase_sizes = vec![1];
    preview.skipped.clear();
    assert_eq!(reach_text(&preview), "1 device: 1 to write in 1 phase (1).");
}

#[test]
fn a_query_action_is_one_phase_that_never_halts() {
    let filter = DeviceFilter {
        text: "pump".into(),
        ..DeviceFilter::default()
    };
    let request = query_action(&filter, Change::RestartApp, 12_345);
    assert_eq!(request.name, "Restart app · 12,345 matching devices");
    assert_eq!(request.change, Change::RestartApp);
    assert_eq!(request.source, RolloutSource::Filter { filter });
    assert_eq!(request.plan.phases.len(), 1);
    assert!(!request.plan.error_threshold.crossed(12_345, 12_345));
    let json = serde_json::to_value(&request).unwrap();
    assert_eq!(json["change"], "restart_app");
}

#[test]
fn reads_phases_as_typed() {
    let phases = parse_phases(" 1, 10%,50 %, 100% ", 60_000, true).unwrap();
    assert_eq!(
        phases.iter().map(|p| p.size).collect::<Vec<_>>(),
        [
            Size::Count(1),
            Size::Percent(10),
            Size::Percent(50),
            Size::Percent(100)
        ]
    );
    assert!(phases.iter().all(|p| p.soak_ms == 60_000 && p.approval));
    assert_eq!(phases_text(&phases), "1, 10%, 50%, 100%");
    assert!(parse_phases("", 0, false).is_err());
    assert_eq!(
        parse_phases("1, 0%", 0, false).unwrap_err(),
        "'0%' is not a phase size: give a count (25) or a percentage (10%)."
    );
    assert!(parse_phases("0", 0, false).is_err());
    assert!(parse_phases("ten", 0, false).is_err());
    assert!(parse_phases("101%", 0, false).is_err());
}

#[test]
fn drafts_become_plans_or_say_what_is_wrong() {
    let plan = PlanDraft::default().plan().unwrap();
    assert_eq!(plan.phases.len(), 4);
    assert_eq!(plan.error_threshold, Threshold::Percent(10));
    assert_eq!((plan.concurrency, plan.device_timeout_ms), (4, 1_800_000));
    assert_eq!((plan.start_at_ms, plan.window), (None, None));
    let draft = PlanDraft {
        preset: Preset::Batches,
        batch: "50".into(),
        soak_minutes: "2".into(),
        approval: true,
        start_at: "2026-12-01T09:30".into(),
        window: Some(("22".into(), "4".into())),
        ..PlanDraft::default()
    };
    let plan = draft.plan().unwrap();
    assert_eq!(
        plan.phases,
        [PhaseSpec {
            size: Size::Count(50),
            soak_ms: 120_000,
            approval: true
        }]
    );
    assert_eq!(plan.start_at_ms, Some(1_796_117_400_000));
    assert_eq!(
        plan.window,
        Some(Window {
            start_hour: 22,
            end_hour: 4
        })
    );
    let wrong = |draft: PlanDraft| draft.plan().unwrap_err();
    assert_eq!(
        wrong(PlanDraft {
            concurrency: "0".into(),
            ..PlanDraft::default()
        }),
        "Writes at once must be a whole number from 1 to 64."
    );
    assert_eq!(
        wrong(PlanDraft {
            start_at: "tomorrow".into(),
            ..PlanDraft::default()
        }),
        "'tomorrow' is not a start time."
    );
    assert!(
        wrong(PlanDraft {
            preset: Preset::Custom,
            phases: "x".into(),
            ..PlanDraft::default()
        })
        .contains("'x'")
    );
    assert_eq!(Preset::from_key(Preset::Batches.key()), Preset::Batches);
}

#[test]
fn reads_thresholds() {
    assert_eq!(parse_threshold("10%"), Ok(Threshold::Percent(10)));
    assert_eq!(parse_threshold(" 3 "), Ok(Threshold::Count(3)));
    assert_eq!(parse_threshold("0"), Ok(Threshold::Count(0)));
    assert!(parse_threshold("-1").is_err());
    assert!(parse_threshold("150%").is_err());
    assert_eq!(
        threshold_text(Threshold::Percent(10)),
        "more than 10 % failed"
    );
}

#[test]
fn plans_are_summed_up_in_words() {
    let summary = plan_summary(&Plan::canary(0));
    assert_eq!(
        summary,
        "phases 1, 10%, 50%, 100%, halts at more than 10 % failed, 4 writes at once"
    );
    assert!(plan_summary(&Plan::batches(25, 0)).starts_with("batches of 25,"));
}

#[test]
fn the_form_opens_on_what_it_was_asked_for() {
    assert_eq!(
        RolloutFields::opening(String::new(), true, 3).source,
        SourceKind::Selection
    );
    // Nothing selected: the selection is not offered, the view (or a filter) is.
    assert_eq!(
        RolloutFields::opening("VW1".into(), true, 0).source,
        SourceKind::View
    );
    assert_eq!(
        RolloutFields::opening(String::new(), true, 0).source,
        SourceKind::Filter
    );
}

#[test]
fn the_form_makes_its_request_or_says_what_is_missing() {
    let mut fields = RolloutFields::opening(String::new(), false, 0);
    assert_eq!(
        fields.request(&[]),
        Err("Choose the app to roll out.".to_owned())
    );
    fields.target = "KA1".into();
    fields.name = "canary".into();
    fields.filter.text = "pump".into();
    let request = fields.request(&[]).unwrap();
    assert_eq!(request.target_app, "KA1");
    assert_eq!(
        request.source,
        RolloutSource::Filter {
            filter: fields.filter.clone()
        }
    );
    assert_eq!(request.plan.window, None);
    fields.source = SourceKind::View;
    assert_eq!(fields.request(&[]), Err("Choose a saved view.".to_owned()));
    fields.view_id = "VW1".into();
    assert_eq!(
        fields.request(&[]).unwrap().source,
        RolloutSource::View { id: "VW1".into() }
    );
    fields.source = SourceKind::Selection;
    assert_eq!(
        fields.request(&["UV1".to_owned()]).unwrap().source,
        RolloutSource::Devices {
            sids: vec!["UV1".to_owned()]
        }
    );
    // The window's hours count only while it is on, and are checked then.
    fields.window = ("25".into(), "6".into());
    assert!(fields.request(&[]).is_ok());
    fields.use_window = true;
    assert!(fields.request(&[]).unwrap_err().contains("first hour"));
    fields.window = ("1".into(), "6".into());
    let window = fields.request(&[]).unwrap().plan.window.unwrap();
    assert_eq!((window.start_hour, window.end_hour), (1, 6));
    // A plan that does not read is said before anything else.
    fields.draft.concurrency = "0".into();
    assert!(fields.request(&[]).unwrap_err().contains("Writes at once"));
}
