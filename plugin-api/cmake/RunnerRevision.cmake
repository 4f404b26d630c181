# RunnerRevision.cmake -- runner_add_revision(): build one revision source
# into a runner plugin (<basename>.so) in a plugin directory.
#
#   find_package(runner 0.1 REQUIRED)    # installed; or include() this file
#   runner_add_revision(revisions/1975ea83b712_add_users.c
#                       [OUTPUT_DIR <dir>]     # default ${RUNNER_PLUGIN_DIR},
#                                              # else ${CMAKE_BINARY_DIR}/plugins
#                       [TARGET <name>])       # default revision_<basename>
#
# The plugin compiles against the plugin API headers only (C11, -fPIC,
# -Wall -Wextra; through the runner::plugin target when there is one) and
# never links against the runner.  Warnings stay warnings: set
# RUNNER_REVISION_WERROR to ON (runner's own build does under RUNNER_WERROR)
# or add -Werror to the target yourself.  The SHA-256
# of the source, line endings normalised (CRLF and lone CR -> LF, as
# runner/plugin/checksum.c does), is computed at configure time and passed as
# -DRUNNER_SOURCE_SHA256="<hex>"; editing the source re-runs the configure
# step (CMAKE_CONFIGURE_DEPENDS), so the embedded value follows the file.
# The plugin and its directory lose group and other write after each build
# (chmod go-w), whatever the umask, because runner's trust check refuses
# them otherwise.
include_guard(GLOBAL)

# The headers: installed, runnerConfig.cmake has set the directory before
# including this file; in the source tree they are ../include.
if(NOT RUNNER_PLUGIN_API_INCLUDE_DIR)
  get_filename_component(RUNNER_PLUGIN_API_INCLUDE_DIR
    "${CMAKE_CURRENT_LIST_DIR}/../include" ABSOLUTE)
endif()
if(NOT EXISTS "${RUNNER_PLUGIN_API_INCLUDE_DIR}/runner/plugin.h")
  message(FATAL_ERROR "runner_add_revision: no runner/plugin.h under '${RUNNER_PLUGIN_API_INCLUDE_DIR}'")
endif()

# runner_source_sha256(<var> <file>): the checksum runner embeds.
function(runner_source_sha256 var file)
  file(READ "${file}" content)
  string(REPLACE "\r\n" "\n" content "${content}")
  string(REPLACE "\r" "\n" content "${content}")
  string(SHA256 sha "${content}")
  set(${var} "${sha}" PARENT_SCOPE)
endfunction()

function(runner_add_revision source)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIR;TARGET" "")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "runner_add_revision: unexpected arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  get_filename_component(src "${source}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${src}")
    message(FATAL_ERROR "runner_add_revision: no such file '${src}'")
  endif()
  get_filename_component(name "${src}" NAME_WE)
  if(ARG_OUTPUT_DIR)
    set(outdir "${ARG_OUTPUT_DIR}")
  elseif(RUNNER_PLUGIN_DIR)
    set(outdir "${RUNNER_PLUGIN_DIR}")
  else()
    set(outdir "${CMAKE_BINARY_DIR}/plugins")
  endif()
  if(ARG_TARGET)
    set(target "${ARG_TARGET}")
  else()
    set(target "revision_${name}")
  endif()

  runner_source_sha256(sha "${src}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${src}")

  add_library(${target} MODULE "${src}")
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    OUTPUT_NAME "${name}"
    LIBRARY_OUTPUT_DIRECTORY "${outdir}"
    POSITION_INDEPENDENT_CODE ON
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF)
  if(TARGET runner::plugin)
    target_link_libraries(${target} PRIVATE runner::plugin)
  else()
    target_include_directories(${target} PRIVATE "${RUNNER_PLUGIN_API_INCLUDE_DIR}")
  endif()
  target_compile_options(${target} PRIVATE -fPIC -Wall -Wextra)
  if(RUNNER_REVISION_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  target_compile_definitions(${target} PRIVATE RUNNER_SOURCE_SHA256="${sha}")
  # runner refuses a plugin or plugin directory that group or others may
  # write; under a umask such as 002 the linker and CMake make both so.
  # Take group and other write away whatever the umask (0755 at most).
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND chmod go-w "$<TARGET_FILE:${target}>" "$<TARGET_FILE_DIR:${target}>"
    VERBATIM)
endfunction()
