# rtc-stun against third-party STUN clients, malformed input, metrics and its command line.
# One ctest entry per test function: integration/stun/<script>/<test>. Exit code 77 means a
# third-party peer is missing outside CI (under CI=true that is a failure instead).
function(rtc_add_stun_tests script)
  get_filename_component(stem ${script} NAME_WE)
  string(REGEX REPLACE "^stun_" "" stem ${stem})
  foreach(test ${ARGN})
    set(name stun/${stem}/${test})
    rtc_add_integration_test(${name} ${script} ${test})
    set_tests_properties(integration/${name} PROPERTIES
      SKIP_RETURN_CODE 77
      LABELS "integration;stun")
  endforeach()
endfunction()

rtc_add_stun_tests(stun_turnutils.py stunclient_plain stunclient_rfc5780 natdiscovery)
rtc_add_stun_tests(stun_classic_client.py single_address rfc5780_mode)
rtc_add_stun_tests(stun_pion.py stun_client udp_exact)
rtc_add_stun_tests(stun_tcp_tls.py tcp tcp_pipelined tls dtls)
rtc_add_stun_tests(stun_ipv6.py udp_raw tcp_raw pion_udp6)
rtc_add_stun_tests(stun_bad_input.py storm)
rtc_add_stun_tests(stun_metrics.py endpoint rate_limit)
rtc_add_stun_tests(stun_load.py steady_rate)
rtc_add_stun_tests(stun_cli.py usage_errors cannot_bind_exits_1 help_and_version man_page
  completions config_file signals)

# The pion-based clients are built once (cached under <build>/pion) by a setup fixture, so
# parallel tests do not all compile them at the same moment.
add_test(NAME integration/stun/build_pion
  COMMAND /bin/sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/build-pion-stun.sh ${PROJECT_BINARY_DIR})
set_tests_properties(integration/stun/build_pion PROPERTIES
  FIXTURES_SETUP rtc_pion_stun SKIP_RETURN_CODE 77 TIMEOUT 300 LABELS "integration;stun")
foreach(test stun/pion/stun_client stun/pion/udp_exact stun/tcp_tls/tcp stun/tcp_tls/tls
    stun/ipv6/pion_udp6)
  set_tests_properties(integration/${test} PROPERTIES FIXTURES_REQUIRED rtc_pion_stun)
endforeach()
