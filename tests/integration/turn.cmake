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
  rest_credentials_by_hand wrong_password udp_channels tcp_channels)
