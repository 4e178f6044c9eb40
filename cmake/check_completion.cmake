# cmake -DTOOL=<exe> -DSHELL=bash|zsh|fish -DCOMMITTED=<file> -P check_completion.cmake
# Fails when the committed completion differs from what the tool generates from its option model.
execute_process(COMMAND ${TOOL} --generate complete-${SHELL}
                OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TOOL} --generate complete-${SHELL} exited ${rc}")
endif()
if(NOT EXISTS ${COMMITTED})
  message(FATAL_ERROR "${COMMITTED} is missing (run scripts/regen-completions)")
endif()
file(READ ${COMMITTED} committed)
if(NOT generated STREQUAL committed)
  message(FATAL_ERROR "${COMMITTED} differs from ${TOOL} --generate complete-${SHELL} (run scripts/regen-completions)")
endif()
