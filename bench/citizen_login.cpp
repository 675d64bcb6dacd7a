// Citizen-certificate login as a person at the kiosk meets it: the real kiosk headless, stock
// OpenSC, a real pcscd, the simulated PIV card and a real central with its login service. Per
// round: 自然人憑證登入 -> PIN pad (tries read), PIN confirmed -> card_read (central's answer).
// The card's own share comes from the simulator's APDU log (first to last APDU of the login).
// Run: SHENSU_CITIZEN_PKI=DIR (made by scripts/make-test-pki DIR)
// OPENSC_CONF=tests/cardio/opensc.conf
//      scripts/with-virtual-reader --card citizen -- build/bin/bench_citizen_login [ROUNDS]
// RunningCentral reports through Catch: its implementation is compiled here, with our own main.
#define CATCH_CONFIG_RUNNER
#include "central.hpp"
#include "kiosk.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>

using namespace shensu::testing;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace
{

std::vector<json> apduLog()
{
    std::vector<json> lines;
    std::ifstream in(std::getenv("SHENSU_CARDSIM_LOG"));
    for (std::string line; std::getline(in, line);) {
        auto j = json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.contains("t_ms")) lines.push_back(j);
    }
    return lines;
}

void report(const char* what, std::vector<double> ms)
{
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) {
        return ms[std::min(
            ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
    };
    std::printf("| %-44s | %5zu | %7.1f | %7.1f | %7.1f |\n", what, ms.size(), at(0.5), at(0.95),
        ms.back());
}

double since(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool is(const json& e, const char* event, const char* key = nullptr, const char* value = nullptr)
{
    return e.value("event", "") == event && (key == nullptr || e.value(key, "") == value);
}

int rounds = 10;

} // namespace

// A Catch test case only because RunningCentral reports through Catch; it asserts nothing.
TEST_CASE("bench: citizen-certificate login")
{
    const char* pki = std::getenv("SHENSU_CITIZEN_PKI");
    TempDir dir;
    RunningCentral central(pki, dir.path() / "central.sqlite", "central-server", 0,
        "central-receipt", centralAuthArgs(pki));
    KioskSession kiosk(writeKioskConfig({ pki, dir.path(), central.url(), central.resolve() },
        { { "stateDir", (dir.path() / "state").string() } }));
    kiosk.waitForScreen("home");
    kiosk.send({ { "cmd", "wait" }, { "card", "present" } });

    std::vector<double> toPad, toLogin, cardSpan, apdus;
    for (int i = 0; i < rounds; ++i) {
        auto start = Clock::now();
        kiosk.send({ { "cmd", "tap" }, { "id", "home.citizen_cert" } });
        kiosk.waitFor([](const json& e) { return is(e, "pin"); });
        toPad.push_back(since(start));
        kiosk.send({ { "cmd", "pin" }, { "digits", "123456" } });
        const std::size_t before = apduLog().size();
        start = Clock::now();
        kiosk.send({ { "cmd", "tap" }, { "id", "pin.confirm" } });
        const auto login = kiosk.waitFor([](const json& e) { return is(e, "login"); });
        kiosk.waitForScreen("card_read");
        toLogin.push_back(since(start));
        REQUIRE(login.value("result", "") == "ok");
        const auto log = apduLog();
        if (log.size() > before) {
            cardSpan.push_back(
                log.back()["t_ms"].get<double>() - log[before]["t_ms"].get<double>());
            apdus.push_back(static_cast<double>(log.size() - before));
        }
        kiosk.send({ { "cmd", "tap" }, { "id", "card_read.cancel" } });
        kiosk.waitForScreen("home");
    }
    kiosk.quit();
    // The kiosk's own timings from its log: where the login's time goes.
    std::vector<double> challenge, cardLogin, cardTotal, verify;
    std::ifstream log(kiosk.stderrPath());
    for (std::string line; std::getline(log, line);) {
        double a = 0, b = 0;
        if (std::sscanf(line.c_str(), "network: login challenge (%lf ms)", &a) == 1)
            challenge.push_back(a);
        if (std::sscanf(
                line.c_str(), "card: citizen card signed (login %lf ms, total %lf ms)", &a, &b)
            == 2) {
            cardLogin.push_back(a);
            cardTotal.push_back(b);
        }
        if (std::sscanf(line.c_str(), "network: card login accepted (%lf ms)", &a) == 1)
            verify.push_back(a);
    }
    std::printf(
        "| %-44s | %5s | %7s | %7s | %7s |\n", "citizen login (ms)", "n", "p50", "p95", "max");
    std::printf("|---|---|---|---|---|\n");
    report("tap 自然人憑證登入 -> PIN pad (tries read)", toPad);
    report("PIN confirmed -> card_read (whole login)", toLogin);
    report("  of which: card, first to last APDU", cardSpan);
    report("  APDUs per login (count)", apdus);
    report("  kiosk: central's challenge", challenge);
    report("  kiosk: module load + C_Login (card worker)", cardLogin);
    report("  kiosk: card worker total (+ cert, C_Sign)", cardTotal);
    report("  kiosk: central checks the proof", verify);
}

int main(int argc, char** argv)
{
    if (!std::getenv("SHENSU_BIN")) setenv("SHENSU_BIN", SHENSU_DEFAULT_BIN, 0);
    if (!std::getenv("SHENSU_SOURCE_DIR")) setenv("SHENSU_SOURCE_DIR", SHENSU_DEFAULT_SOURCE, 0);
    if (std::getenv("SHENSU_CITIZEN_PKI") == nullptr
        || std::getenv("SHENSU_CARDSIM_LOG") == nullptr) {
        std::fprintf(stderr,
            "run under scripts/with-virtual-reader --card citizen with "
            "SHENSU_CITIZEN_PKI set (see the file's first lines)\n");
        return 2;
    }
    if (argc > 1) rounds = std::max(1, std::atoi(argv[1]));
    char* args[] = { argv[0] };
    return Catch::Session().run(1, args);
}
