# rtc_add_tool(NAME) builds tools/NAME/*.cpp into the executable NAME and installs it.
function(rtc_add_tool name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp)
  add_executable(${name} ${sources})
  # <build>/tools/<name>/<name>, so scripts find every tool the same way.
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${name})
  target_compile_options(${name} PRIVATE ${RTC_WARNINGS})
  target_link_libraries(${name} PRIVATE rtc_app rtc_net rtc_proto)
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

  # Completions are generated from the option model, committed, and checked here.
  set(completions ${PROJECT_SOURCE_DIR}/completions)
  install(FILES ${completions}/bash/${name}
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions OPTIONAL)
  install(FILES ${completions}/zsh/_${name}
          DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions OPTIONAL)
  install(FILES ${completions}/fish/${name}.fish
          DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d OPTIONAL)
  if(RTC_TESTS)
    foreach(pair "bash;${name}" "zsh;_${name}" "fish;${name}.fish")
      list(GET pair 0 shell)
      list(GET pair 1 file)
      add_test(NAME completions/${name}/${shell}
        COMMAND ${CMAKE_COMMAND} -DTOOL=$<TARGET_FILE:${name}> -DSHELL=${shell}
                -DCOMMITTED=${completions}/${shell}/${file} -P ${PROJECT_SOURCE_DIR}/cmake/check_completion.cmake)
    endforeach()
  endif()
endfunction()

# rtc_add_library(NAME DIRS...) builds every .cpp under common/DIR for each DIR into NAME.
function(rtc_add_library name)
  set(sources)
  foreach(dir ${ARGN})
    file(GLOB dir_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*.cpp)
    list(APPEND sources ${dir_sources})
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/common)
  target_compile_options(${name} PRIVATE ${RTC_WARNINGS})
endfunction()
