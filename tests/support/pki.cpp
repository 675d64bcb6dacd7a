// The test PKI (see pki.hpp).
#include "pki.hpp"

#include "process.hpp"

#include <cstdlib>
#include <stdexcept>

namespace shensu::testing
{

void makeTestPki(const std::filesystem::path& dir)
{
    const auto r = run({ (sourceDir() / "scripts/make-test-pki").string(), dir.string() });
    if (r.exitCode != 0) throw std::runtime_error("make-test-pki failed: " + r.output + r.errors);
}

const std::filesystem::path& pkiDir()
{
    static const TempDir dir;
    static const bool made = [] {
        makeTestPki(dir.path());
        return true;
    }();
    (void)made;
    return dir.path();
}

std::filesystem::path fixturePki()
{
    const char* dir = std::getenv("SHENSU_CITIZEN_PKI");
    if (dir == nullptr) throw std::runtime_error("SHENSU_CITIZEN_PKI is not set (the e2e fixture)");
    return dir;
}

} // namespace shensu::testing
