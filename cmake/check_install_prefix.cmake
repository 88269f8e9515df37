# Run by `cmake --install` before anything is copied (CMakeLists.txt sets
# CFD_CONFIGURED_PREFIX, the prefix the build was configured with).
string(REGEX REPLACE "(.)/+$" "\\1" cfd_prefix "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "(.)/+$" "\\1" cfd_configured "${CFD_CONFIGURED_PREFIX}")
if(NOT cfd_prefix STREQUAL cfd_configured)
  message(FATAL_ERROR
    "classifyd: this build was configured for prefix ${CFD_CONFIGURED_PREFIX}, which is "
    "compiled into classifyd and written into its systemd unit, so it cannot be installed "
    "with --prefix ${CMAKE_INSTALL_PREFIX}. Configure it with "
    "-DCMAKE_INSTALL_PREFIX=${CMAKE_INSTALL_PREFIX} and build again (DESTDIR= stages an "
    "install in another directory).")
endif()
