#pragma once
// The page rtc-sfu serves at /demo?room=NAME: join a room over /ws/NAME, publish the camera and
// microphone, watch every other member. `report=URL` (a test hook) POSTs decoding statistics
// to URL every second.
#include <string_view>

namespace rtc::sfu_tool {

std::string_view demo_page();

} // namespace rtc::sfu_tool
