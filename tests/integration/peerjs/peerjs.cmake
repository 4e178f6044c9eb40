# PeerJS compatibility of rtc-signal --peerjs (issue 5): the wire protocol by hand
# (python3-websockets) and the unmodified peerjs 1.5.5 browser client in headless Chromium.
# Included from tests/integration/CMakeLists.txt (its *.cmake glob does not look into
# subfolders). One ctest entry per test function: integration/signal/peerjs/<script>/<test>.
# The browser tests run install.sh, which installs the pinned client with `npm ci` into this
# folder when node_modules is missing (under a lock, so ctest -j is fine).
function(rtc_add_peerjs_tests script)
  get_filename_component(stem ${script} NAME_WE)
  string(REGEX REPLACE "^peerjs_" "" stem ${stem})
  foreach(test ${ARGN})
    set(name signal/peerjs/${stem}/${test})
    rtc_add_integration_test(${name} peerjs/${script} ${test})
    set_tests_properties(integration/${name} PROPERTIES
      SKIP_RETURN_CODE 77
      LABELS "integration;signal;peerjs")
  endforeach()
endfunction()

rtc_add_peerjs_tests(peerjs_wire.py open_and_relay errors_and_id_taken queued_delivery
  expire_after_5s get_id)
rtc_add_peerjs_tests(peerjs_chromium.py two_browsers_data_channel two_browsers_over_wss)
