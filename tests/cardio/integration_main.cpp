// Entry point of the card layer's integration tests: real pcscd + vpcd + shensu-cardsim, under
// with-virtual-reader.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
