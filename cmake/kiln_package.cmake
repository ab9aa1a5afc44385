# The installable package (`cmake --install build --prefix P`):
#   P/include/kiln/...          kiln's C++ API, and include/kiln/ort/ the ONNX Runtime-compatible headers
#   P/lib/libkiln.so            every library of src/ in one shared library (the in-tree build keeps its static ones)
#   P/lib/cmake/kiln/           kilnConfig.cmake (+ version): find_package(kiln) gives kiln::kiln
#   P/lib/pkgconfig/kiln.pc     the same for pkg-config
# libkiln.so finds OpenVINO's libraries in the openvino wheel it was built against, and the OpenMP build of
# OpenBLAS, through its RUNPATH, so a consumer needs nothing but the prefix (-DCMAKE_PREFIX_PATH=P).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_kiln_static_libs kiln_common kiln_ir kiln_image kiln_ops kiln_onnx_proto kiln_onnx kiln_cpu kiln_openvino
                      kiln_optimizer kiln_runtime)
set(_kiln_objects)
foreach(_lib IN LISTS _kiln_static_libs)
  list(APPEND _kiln_objects "$<TARGET_OBJECTS:${_lib}>")
endforeach()
add_library(kiln_shared SHARED ${_kiln_objects})
# The static libraries add nothing (their objects are all in already) but bring their dependencies: OpenVINO,
# protobuf, OpenBLAS, OpenMP, the image decoders.
target_link_libraries(kiln_shared PRIVATE ${_kiln_static_libs})
target_include_directories(
  kiln_shared INTERFACE "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include;${PROJECT_SOURCE_DIR}/include/kiln/ort>"
                        "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR};${CMAKE_INSTALL_INCLUDEDIR}/kiln/ort>")
target_compile_features(kiln_shared INTERFACE cxx_std_17)  # the public headers are C++17
get_target_property(_kiln_ov_lib openvino::runtime IMPORTED_LOCATION_RELEASE)
if(NOT _kiln_ov_lib)
  get_target_property(_kiln_ov_lib openvino::runtime IMPORTED_LOCATION)
endif()
get_filename_component(_kiln_ov_dir "${_kiln_ov_lib}" DIRECTORY)
get_filename_component(_kiln_ov_dir "${_kiln_ov_dir}" REALPATH)  # not through a .venv link
get_filename_component(_kiln_openblas_dir "${KILN_OPENBLAS_LIB}" DIRECTORY)
set_target_properties(
  kiln_shared
  PROPERTIES OUTPUT_NAME kiln
             EXPORT_NAME kiln
             VERSION ${PROJECT_VERSION}
             SOVERSION ${PROJECT_VERSION_MAJOR}
             INSTALL_RPATH "${_kiln_ov_dir};${_kiln_openblas_dir}")

install(TARGETS kiln_shared EXPORT kilnTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT kiln)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/kiln" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT kiln)
install(EXPORT kilnTargets NAMESPACE kiln:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kiln COMPONENT kiln)
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/kilnConfig.cmake.in"
                              "${CMAKE_CURRENT_BINARY_DIR}/kilnConfig.cmake"
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kiln)
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/kilnConfigVersion.cmake"
                                 COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/kilnConfig.cmake" "${CMAKE_CURRENT_BINARY_DIR}/kilnConfigVersion.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/kiln COMPONENT kiln)
configure_file("${PROJECT_SOURCE_DIR}/cmake/kiln.pc.in" "${CMAKE_CURRENT_BINARY_DIR}/kiln.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/kiln.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT kiln)
