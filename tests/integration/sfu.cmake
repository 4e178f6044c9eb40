# rtc-sfu against aiortc (python3-aiortc) and its command line. One ctest entry per test
# function: integration/sfu/<script>/<test>. Exit code 77 means a peer is missing outside CI.
function(rtc_add_sfu_tests script)
  get_filename_component(stem ${script} NAME_WE)
  string(REGEX REPLACE "^sfu_" "" stem ${stem})
  foreach(test ${ARGN})
    set(name sfu/${stem}/${test})
    rtc_add_integration_test(${name} ${script} ${test})
    set_tests_properties(integration/${name} PROPERTIES
      SKIP_RETURN_CODE 77
      LABELS "integration;sfu")
  endforeach()
endfunction()

rtc_add_sfu_tests(sfu_aiortc.py whip_whep_two_viewers late_viewer_and_new_publisher
  nack_and_pli_through_loss recording_read_by_ffprobe refusals both_dtls_roles
  room_over_websocket)
rtc_add_sfu_tests(sfu_chromium.py publish_and_watch_in_a_page simulcast_layer_switch
  room_of_three room_renegotiation room_bad_input)
rtc_add_sfu_tests(sfu_cli.py usage_errors help_version_man_completions config_file
  cannot_bind_exits_1 sigint_stops_with_0)
rtc_add_sfu_tests(sfu_gstreamer.py webrtcbin_publishes_to_aiortc_viewer
  webrtcbin_recording_read_by_ffprobe)
rtc_add_sfu_tests(sfu_ice_restart.py in_a_page patch_refusals)
rtc_add_sfu_tests(sfu_ice_tcp.py chromium_over_tcp bad_frames)
rtc_add_sfu_tests(sfu_limits.py max_tracks_and_large_offers max_rooms)
rtc_add_sfu_tests(sfu_codecs.py video_codecs_pass_through)
rtc_add_sfu_tests(sfu_ice_servers.py turn_credentials_work_at_rtc_turn)
