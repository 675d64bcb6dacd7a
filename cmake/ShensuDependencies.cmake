# Every dependency comes from a Debian bookworm package (scripts/install-deps names them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(Catch2 2 REQUIRED)

pkg_check_modules(PCSC REQUIRED IMPORTED_TARGET libpcsclite)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
# central's storage for a fleet (central/src/pg_store.cpp); bookworm ships libpqxx 6.4
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
pkg_check_modules(FMT REQUIRED IMPORTED_TARGET fmt)
# pkcs11.h only (the kiosk dlopens the card's own module; it never links p11-kit).
pkg_check_modules(P11KIT REQUIRED p11-kit-1)

if(SHENSU_BUILD_UI)
  pkg_check_modules(SDL2 REQUIRED IMPORTED_TARGET sdl2)
  pkg_check_modules(IMGUI REQUIRED IMPORTED_TARGET imgui)
  pkg_check_modules(PNG REQUIRED IMPORTED_TARGET libpng)
  pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode) # the receipt's QR code
  pkg_check_modules(CHEWING REQUIRED IMPORTED_TARGET chewing) # the on-screen Zhuyin keyboard
  # Debian's libimgui.a lacks the SDL_Renderer backend; its source ships with the package's examples.
  set(SHENSU_IMGUI_BACKENDS /usr/share/doc/libimgui-dev/examples/backends)
  if(NOT EXISTS ${SHENSU_IMGUI_BACKENDS}/imgui_impl_sdlrenderer.cpp)
    message(FATAL_ERROR "imgui_impl_sdlrenderer.cpp not found in ${SHENSU_IMGUI_BACKENDS} (install libimgui-dev)")
  endif()
endif()
