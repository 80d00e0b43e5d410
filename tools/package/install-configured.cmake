# Run at install time (install(CODE) in CMakeLists.txt): writes the files that name install
# paths (watchpost.yaml, the systemd unit, the logrotate file) for the prefix actually
# installed to, so `cmake --install BUILD --prefix DIR` gives files that point into DIR.
# Expects WP_SRC, WP_PREFIX and WP_*_REL (GNUInstallDirs' relative directories).
function(wp_dir out rel)
  if(IS_ABSOLUTE "${rel}")
    set(${out} "${rel}" PARENT_SCOPE)
  else()
    set(${out} "${WP_PREFIX}/${rel}" PARENT_SCOPE)
  endif()
endfunction()
wp_dir(WP_BINDIR "${WP_BINDIR_REL}")
wp_dir(WP_DATADIR "${WP_DATADIR_REL}")
wp_dir(WP_SYSCONFDIR "${WP_SYSCONFDIR_REL}")
set(WP_CONFIG_FILE "${WP_SYSCONFDIR}/watchpost/watchpost.yaml")
foreach(pair "watchpost.yaml.in|${WP_SYSCONFDIR}/watchpost/watchpost.yaml"
             "watchpost-sensor.service.in|${WP_PREFIX}/lib/systemd/system/watchpost-sensor.service"
             "watchpost.logrotate.in|${WP_SYSCONFDIR}/logrotate.d/watchpost")
  string(REPLACE "|" ";" parts "${pair}")
  list(GET parts 0 template)
  list(GET parts 1 dest)
  set(dest "$ENV{DESTDIR}${dest}")
  message(STATUS "Installing: ${dest}")
  configure_file("${WP_SRC}/${template}" "${dest}" @ONLY)
endforeach()
