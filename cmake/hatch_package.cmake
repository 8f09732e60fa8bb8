# Installing Hatch as a library, and packaging it for Debian.
#
# `cmake --install BUILD --prefix P` puts the public headers in P/include/hatch, the static
# libraries in P/lib, the CMake package in P/lib/cmake/hatch and, when the examples are built,
# the `hatch` tool in P/bin. A program then takes Hatch in with `find_package(hatch)` and links
# `hatch::hatch` (docs/guide.md, "Starting a new project"). `cpack -G DEB` in BUILD makes the
# same files into a Debian package.
#
# The libraries are static, so a consumer links what they link: the package's configuration
# finds those dependencies (Boost, msgpack-c, spdlog, fmt, OpenSSL, toml++, prometheus-cpp), and
# nothing that only the tests or benchmarks use. Header-only dependencies of the .cpp files
# (nlohmann-json) are not exported at all.
include(CMakePackageConfigHelpers)

set(hatch_libraries hatch hatch_runtime hatch_ops hatch_learn hatch_model hatch_design
    hatch_perception)
set_target_properties(hatch_runtime PROPERTIES EXPORT_NAME runtime)
set_target_properties(hatch_ops PROPERTIES EXPORT_NAME ops)
set_target_properties(hatch_learn PROPERTIES EXPORT_NAME learn)
set_target_properties(hatch_model PROPERTIES EXPORT_NAME model)
set_target_properties(hatch_design PROPERTIES EXPORT_NAME design)
set_target_properties(hatch_perception PROPERTIES EXPORT_NAME perception)

set(hatch_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/hatch)
install(TARGETS ${hatch_libraries} EXPORT hatchTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/hatch DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT hatchTargets NAMESPACE hatch:: DESTINATION ${hatch_cmake_dir})
if(TARGET hatch_tool)
  install(TARGETS hatch_tool RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

configure_package_config_file(cmake/hatchConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/hatchConfig.cmake
                              INSTALL_DESTINATION ${hatch_cmake_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/hatchConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hatchConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/hatchConfigVersion.cmake
        DESTINATION ${hatch_cmake_dir})

# The Debian package: everything above, under /usr. Its dependencies are the Debian packages
# of what the libraries link and the public headers include.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hatch)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Hatch: self-distributing C++ programs (libraries, headers, CMake package and hatch tool)")
set(CPACK_PACKAGE_CONTACT "Hatch maintainers <hatch@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libboost-dev (>= 1.74), libmsgpack-cxx-dev, libspdlog-dev, libfmt-dev, libssl-dev, \
libtomlplusplus-dev, prometheus-cpp-dev, cmake (>= 3.25)")
include(CPack)
