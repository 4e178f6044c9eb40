# rtc-probe on loopback against rtc-stun, coturn and fake servers, and its command line. One
# ctest entry per test function: integration/probe/<script>/<test>. Exit code 77 means a
# third-party peer is missing outside CI. The NAT personalities are the NAT lab's (natlab.cmake).
function(rtc_add_probe_tests script)
  get_filename_component(stem ${script} NAME_WE)
  string(REGEX REPLACE "^probe_" "" stem ${stem})
  foreach(test ${ARGN})
    set(name probe/${stem}/${test})
    rtc_add_integration_test(${name} ${script} ${test})
    set_tests_properties(integration/${name} PROPERTIES
      SKIP_RETURN_CODE 77
      LABELS "integration;probe")
  endforeach()
endfunction()

rtc_add_probe_tests(probe_nat.py rtc_stun_rfc5780 coturn_rfc5780 single_address
  ignores_change_request udp_blocked alt_server_and_opt_ins usage_errors unresolvable_host)
rtc_add_probe_tests(probe_stun.py udp_tcp_tls_rtc_stun tls_verification coturn retransmissions
  no_answer mixed_and_unreachable usage_errors)
rtc_add_probe_tests(probe_cli.py help_and_version subcommand_required man_page completions)
rtc_add_probe_tests(probe_ice.py host_pair role_conflict relay_only_rtc_turn coturn_relay_and_host
  turn_wrong_password stdin_closed usage_errors)
rtc_add_probe_tests(probe_turn.py udp_tcp_tls no_leftovers password_from_environment
  wrong_password other_realm forbidden_peer allocation_quota rest_secret timeout coturn
  usage_errors)
rtc_add_probe_tests(probe_signal.py plain wss_cert_auto static_token jwt_room_claim
  unreachable_and_silent usage_errors)
rtc_add_probe_tests(probe_load.py rate_rtc_stun window_count no_server usage_errors
  turn_rate_rtc_turn turn_window_count turn_failures turn_coturn_and_external_peer
  turn_usage_errors)
