# rtc-turn against coturn's turnutils_uclient/turnutils_peer. One ctest entry per test function:
# integration/turn/<script>/<test>. Exit code 77 means a third-party peer is missing outside CI.
function(rtc_add_turn_tests script)
  get_filename_component(stem ${script} NAME_WE)
  string(REGEX REPLACE "^turn_" "" stem ${stem})
  foreach(test ${ARGN})
    set(name turn/${stem}/${test})
    rtc_add_integration_test(${name} ${script} ${test})
    set_tests_properties(integration/${name} PROPERTIES
      SKIP_RETURN_CODE 77
      LABELS "integration;turn")
  endforeach()
endfunction()

rtc_add_turn_tests(turn_uclient.py udp_send tcp_send tls_send client_to_client_send rest_secret
  rest_credentials_by_hand wrong_password udp_channels tcp_channels tcp_relay dtls_send dtls_channels
  tcp_relay_loopback_forbidden reload_secret ipv6_udp_send ipv6_udp_channels ipv6_tcp_channels
  ipv6_relay_ipv4_client)

# Breadth (issue 4 "Tests"): forbidden peers inside `unshare -n`, metrics, SIGHUP reload, pion's
# TURN client, a soak and headless Chromium.
rtc_add_turn_tests(turn_forbidden.py forbidden_peers)
rtc_add_turn_tests(turn_metrics.py healthz after_uclient)
# RFC 6062 data connections: gauges and --tcp-idle-timeout; --print-config hides secrets.
rtc_add_turn_tests(turn_tcp_pipes.py idle_timeout pending_connection_gauge)
rtc_add_turn_tests(turn_cli.py print_config_secrets)
rtc_add_turn_tests(turn_reload.py udp_send_sighup udp_channels_sighup)
rtc_add_turn_tests(turn_pion.py udp_ping tcp_ping)
rtc_add_turn_tests(turn_soak.py allocation_churn)
set_tests_properties(integration/turn/soak/allocation_churn PROPERTIES
  LABELS "integration;turn;soak")
rtc_add_turn_tests(turn_chromium.py udp_data_channel tcp_data_channel)
