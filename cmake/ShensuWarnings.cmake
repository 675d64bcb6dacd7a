# Warnings are errors for our own code; third-party headers are included as SYSTEM so they don't trip them.
add_library(shensu_warnings INTERFACE)
target_compile_options(shensu_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wconversion -Wsign-conversion -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough)

if(SHENSU_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  # g++ 12's sanitizer instrumentation makes -Wmaybe-uninitialized fire inside libstdc++ (<regex>,
  # std::function); the normal build keeps the warning as an error.
  target_compile_options(shensu_warnings INTERFACE -Wno-maybe-uninitialized)
  add_link_options(-fsanitize=address,undefined)
endif()

# shensu_part(NAME) applies the project's rules to a target of ours.
function(shensu_part target)
  target_link_libraries(${target} PRIVATE shensu_warnings)
endfunction()
