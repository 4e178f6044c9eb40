# rtc-signal against third-party WebSocket clients (python3-websockets), browsers and Redis.
# One ctest entry per test function: integration/signal/<script>/<test>.
function(rtc_add_signal_tests script)
  get_filename_component(stem ${script} NAME_WE)
  string(REGEX REPLACE "^signal_" "" stem ${stem})
  foreach(test ${ARGN})
    set(name signal/${stem}/${test})
    rtc_add_integration_test(${name} ${script} ${test})
    set_tests_properties(integration/${name} PROPERTIES
      SKIP_RETURN_CODE 77
      LABELS "integration;signal")
  endforeach()
endfunction()

rtc_add_signal_tests(signal_ws.py join_relay sender_is_stamped other_rooms_are_separate
  resume_delivers_queue expired_queue_tells_sender id_taken_and_room_full
  bad_messages_keep_serving limits_close_codes jwt_auth origin_policy malformed_frames
  wss_cert_auto_and_shutdown)
rtc_add_signal_tests(signal_join.py offer_answer_between_two_shells json_lines_both_ways
  failures_exit_1_and_2)
rtc_add_signal_tests(signal_chromium.py two_pages_data_channel)
rtc_add_signal_tests(signal_redis.py two_processes_share_a_room)
rtc_add_signal_tests(signal_cli.py usage_errors help_version_man_completions config_file
  cannot_bind_exits_1 sigint_stops_with_0)
