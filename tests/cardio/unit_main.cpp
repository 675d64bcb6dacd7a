// Entry point of the card layer's unit tests (no pcscd, no reader needed).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
