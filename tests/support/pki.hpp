// The throwaway test PKI of scripts/make-test-pki: made into a given directory, or once per test
// process.
#pragma once

#include <filesystem>

namespace shensu::testing
{

// Runs scripts/make-test-pki into dir (see that script for the files it writes).
void makeTestPki(const std::filesystem::path& dir);

// One test PKI shared by every test of this process, made on first use and removed at exit.
const std::filesystem::path& pkiDir();

// The e2e fixture's test PKI (SHENSU_CITIZEN_PKI, made once before the e2e tests), for tests that
// only read it: no PKI of their own saves seconds. Throws when the variable is not set.
std::filesystem::path fixturePki();

} // namespace shensu::testing
