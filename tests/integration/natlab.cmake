# The NAT lab (issue 6): a client, a router and an "internet" host in network namespaces; the
# router takes each NAT personality with nftables, and rtc-probe nat must give the right verdict
# against rtc-stun and against coturn. turnutils_natdiscovery and `stun` run beside it as the
# comparison. Needs root; exit code 77 (skip) when not root or a program is missing outside CI.
# One entry, RUN_SERIAL (timing is measured and the router sysctls are per run anyway); its log
# ends with the verdict table and rtc-probe's wall time per verdict.
set(natlab_args)
if(TARGET rtc-probe)
  # Under CI a missing binary then fails; elsewhere it only skips rtc-probe's columns.
  list(APPEND natlab_args --rtc-probe $<TARGET_FILE:rtc-probe>)
endif()
rtc_add_integration_test(natlab/verdicts natlab/natlab_test.py ${natlab_args})
set_tests_properties(integration/natlab/verdicts PROPERTIES
  LABELS "integration;natlab"
  RUN_SERIAL TRUE
  SKIP_RETURN_CODE 77
  TIMEOUT 900)

# rtc-probe ice across two NATs: two client namespaces behind two routers, rtc-stun and
# rtc-turn in inet; each pair of personalities must connect directly, through the relay, or
# fail as documented (ice_test.py). About a minute; RUN_SERIAL like the verdicts.
set(natlab_ice_args)
if(TARGET rtc-probe)
  list(APPEND natlab_ice_args --rtc-probe $<TARGET_FILE:rtc-probe>)
endif()
rtc_add_integration_test(natlab/ice natlab/ice_test.py ${natlab_ice_args})
set_tests_properties(integration/natlab/ice PROPERTIES
  LABELS "integration;natlab"
  RUN_SERIAL TRUE
  SKIP_RETURN_CODE 77
  TIMEOUT 300)
