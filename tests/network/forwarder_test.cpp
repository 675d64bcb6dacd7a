// The forwarder against a real shensu-central: delivery, outages, a rogue server, restarts.
#include "support.hpp"

#include <network/outbox.hpp>

#include <catch2/catch.hpp>
#include <csignal>
#include <set>

#include <sys/wait.h>
#include <unistd.h>

using namespace shensu;
using namespace shensu::testing;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace
{
const network::FilingAccepted* accepted(const std::optional<network::ForwardResult>& r)
{
    return r ? std::get_if<network::FilingAccepted>(&*r) : nullptr;
}
const network::FilingDeferred* deferred(const std::optional<network::ForwardResult>& r)
{
    return r ? std::get_if<network::FilingDeferred>(&*r) : nullptr;
}
std::size_t rowsIn(const fs::path& outbox)
{
    return network::Outbox(outbox).count();
}
} // namespace

TEST_CASE("the forwarder delivers a filing and central registers it under the case number the "
          "kiosk was told",
    "[forwarder]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    ResultLog results;
    std::string id;
    {
        network::Forwarder forwarder(
            forwarderConfig(tmp / "outbox.db", central.port()), std::ref(results));
        id = forwarder.store(syntheticFiling());
        const auto r = results.waitFor(1, 10s);
        const auto* ok = accepted(r);
        INFO((deferred(r) ? deferred(r)->reason : "no deferral"));
        REQUIRE(ok);
        CHECK(ok->filingId == id);
        CHECK(ok->verificationCode.size() == 16);
        CHECK(forwarder.pendingCount() == 0);
        // Checkpointed after the receipt, while the Forwarder still has the outbox open (closing
        // the last connection checkpoints and deletes the -wal by itself).
        CHECK(fs::exists(tmp / "outbox.db-wal"));
        CHECK_FALSE(fileContains(tmp / "outbox.db-wal", id));

        const auto cases = storedCases(tmp / "central.db");
        REQUIRE(cases.size() == 1);
        CHECK(cases[0]["caseNumber"] == ok->caseNumber);
        CHECK(cases[0]["idempotencyKey"] == id);
        CHECK(cases[0]["kioskId"] == "KIOSK-TEST-01");
    }
    CHECK(rowsIn(tmp / "outbox.db") == 0);
    CHECK_FALSE(fileContains(tmp / "outbox.db-wal", id));
}

TEST_CASE("a server with a certificate from another CA is refused and the filing is kept and "
          "nothing reaches it",
    "[forwarder]")
{
    TempDir tmp;
    RunningCentral rogue(pkiDir(), tmp / "rogue.db", "rogue-server");
    ResultLog results;
    network::Forwarder forwarder(
        forwarderConfig(tmp / "outbox.db", rogue.port()), std::ref(results));
    forwarder.store(syntheticFiling());

    const auto r = results.waitFor(1, 10s);
    const auto* refused = deferred(r);
    REQUIRE(refused);
    INFO(refused->reason);
    CHECK(refused->serverRefused);
    CHECK(forwarder.pendingCount() == 1);
    CHECK(storedCases(tmp / "rogue.db").empty());
}

TEST_CASE("central reached under a name its certificate does not carry is refused", "[forwarder]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    ResultLog results;
    auto config = forwarderConfig(tmp / "outbox.db", central.port());
    config.centralUrl = "https://127.0.0.1:" + std::to_string(central.port());
    config.centralResolve.clear();
    network::Forwarder forwarder(config, std::ref(results));
    forwarder.store(syntheticFiling());

    const auto r = results.waitFor(1, 10s);
    const auto* refused = deferred(r);
    REQUIRE(refused);
    INFO(refused->reason);
    CHECK(refused->serverRefused);
    CHECK(forwarder.pendingCount() == 1);
    CHECK(storedCases(tmp / "central.db").empty());
}

TEST_CASE("retries back off within firstRetryDelay and maxRetryDelay and count their attempts",
    "[forwarder]")
{
    TempDir tmp;
    ResultLog results;
    std::string id;
    {
        auto config = forwarderConfig(tmp / "outbox.db", unusedPort()); // 100 ms .. 400 ms
        network::Forwarder forwarder(config, std::ref(results));
        id = forwarder.store(syntheticFiling());
        REQUIRE(results.waitFor(6, 10s));
    }
    const auto times = results.times();
    for (std::size_t i = 1; i < 6; ++i) {
        const auto gap = times[i] - times[i - 1];
        INFO("gap " << i << ": "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count() << " ms");
        CHECK(gap >= 95ms);
        // At most 400 ms plus generous slack for a loaded machine; without the cap the 5th gap
        // alone could reach 3.2 s.
        CHECK(gap <= 1500ms);
    }
    CHECK(times[5] - times[2] <= 3 * 400ms + 1s); // the capped tail, all together
    network::Outbox outbox(tmp / "outbox.db");
    const auto row = outbox.nextDue(network::Clock::now() + 1h);
    REQUIRE(row);
    CHECK(row->id == id);
    CHECK(row->attempts >= 6);
}

TEST_CASE("a new forwarder delivers what an earlier run left in the outbox and stops promptly",
    "[forwarder]")
{
    TempDir tmp;
    const int port = unusedPort();
    std::string id;
    {
        ResultLog results;
        network::Forwarder offline(forwarderConfig(tmp / "outbox.db", port), std::ref(results));
        id = offline.store(syntheticFiling("left over"));
        REQUIRE(deferred(results.waitFor(1, 10s)));
    }
    REQUIRE(rowsIn(tmp / "outbox.db") == 1);

    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", port);
    ResultLog results;
    auto config = forwarderConfig(tmp / "outbox.db", port);
    config.firstRetryDelay = 60s; // a fresh start must not wait out the old backoff
    config.maxRetryDelay = 60s;
    auto forwarder = std::make_unique<network::Forwarder>(config, std::ref(results));
    const auto r = results.waitFor(1, 10s);
    const auto* ok = accepted(r);
    REQUIRE(ok);
    CHECK(ok->filingId == id);

    const auto stopping = std::chrono::steady_clock::now();
    forwarder.reset();
    CHECK(std::chrono::steady_clock::now() - stopping < 1s);
    CHECK(storedCases(tmp / "central.db").size() == 1);
}

TEST_CASE(
    "store() refuses a filing it cannot seal and a broken configuration fails at construction",
    "[forwarder]")
{
    TempDir tmp;
    ResultLog results;
    {
        network::Forwarder forwarder(
            forwarderConfig(tmp / "outbox.db", unusedPort()), std::ref(results));
        CHECK_THROWS_AS(forwarder.store(nlohmann::json::array({ 1, 2 })), network::StoreError);
        CHECK(forwarder.pendingCount() == 0);
    }
    auto config = forwarderConfig(tmp / "outbox2.db", unusedPort());
    config.clientKey = tmp / "missing.key";
    CHECK_THROWS_AS(network::Forwarder(config, std::ref(results)), network::StoreError);
}

TEST_CASE(
    "a dozen filings in a row all reach central in order over the reused connection", "[forwarder]")
{
    // cpp-httplib's defaults (keep-alive 5, no session id context) would break the 6th request;
    // central fixes both.
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    ResultLog results;
    auto config = forwarderConfig(tmp / "outbox.db", central.port());
    config.parallelPosts = 1; // one sender keeps the order stored (the default 4 does not)
    network::Forwarder forwarder(config, std::ref(results));
    std::vector<std::string> ids;
    ids.reserve(12);
    for (int i = 0; i < 12; ++i)
        ids.push_back(forwarder.store(syntheticFiling("filing " + std::to_string(i))));

    REQUIRE(results.waitFor(12, 20s));
    for (std::size_t n = 1; n <= 12; ++n) {
        const auto r = results.waitFor(n, 0s);
        const auto* ok = accepted(r);
        INFO("result " << n << ": " << (deferred(r) ? deferred(r)->reason : ""));
        REQUIRE(ok);
        CHECK(ok->filingId == ids[n - 1]);
    }
    const auto cases = storedCases(tmp / "central.db");
    REQUIRE(cases.size() == 12);
    for (std::size_t i = 0; i < 12; ++i)
        CHECK(cases[i]["idempotencyKey"] == ids[i]);
    CHECK(forwarder.pendingCount() == 0);
}

TEST_CASE("a forwarder stops promptly even while central hangs in the middle of a handshake",
    "[forwarder]")
{
    // A socket that listens but never accepts: TCP connects, the TLS handshake never gets an
    // answer.
    int port = 0;
    const int s = loopbackListener(8, &port);

    TempDir tmp;
    ResultLog results;
    auto forwarder = std::make_unique<network::Forwarder>(
        forwarderConfig(tmp / "outbox.db", port), std::ref(results));
    forwarder->store(syntheticFiling());
    std::this_thread::sleep_for(
        500ms); // the post is now stuck in the handshake (the total timeout is 15 s)

    const auto stopping = std::chrono::steady_clock::now();
    forwarder.reset();
    CHECK(std::chrono::steady_clock::now() - stopping < 300ms);
    CHECK(results.size() == 0); // a cancelled post is not reported as an outcome
    CHECK(rowsIn(tmp / "outbox.db") == 1);
    close(s);
}

TEST_CASE(
    "a stored filing survives the kiosk being killed right after store() returns", "[forwarder]")
{
    TempDir tmp;
    int ids[2];
    REQUIRE(pipe(ids) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The kiosk: central is unreachable, so the filing can only be in the outbox when we die.
        close(ids[0]);
        network::Forwarder forwarder(forwarderConfig(tmp / "outbox.db", unusedPort()), nullptr);
        const std::string id = forwarder.store(syntheticFiling("killed"));
        if (write(ids[1], id.data(), id.size()) != static_cast<ssize_t>(id.size())) _exit(1);
        raise(SIGKILL);
    }
    close(ids[1]);
    char buf[64] = {};
    const auto n = read(ids[0], buf, sizeof buf);
    close(ids[0]);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(n == 36);

    network::Outbox outbox(tmp / "outbox.db");
    REQUIRE(outbox.count() == 1);
    CHECK(outbox.nextDue(network::Clock::now() + 1h)->id == std::string(buf, 36));
}

TEST_CASE("a receipt not signed by the pinned receipt key is refused and the filing is kept and "
          "retried until central's own receipt comes back for the same case",
    "[forwarder]")
{
    TempDir tmp;
    const int port = unusedPort();
    ResultLog results;
    network::Forwarder forwarder(forwarderConfig(tmp / "outbox.db", port), std::ref(results));
    std::string id;
    {
        // A central that takes the filing but signs its receipts with a key kiosks do not pin.
        RunningCentral wrongKey(
            pkiDir(), tmp / "central.db", "central-server", port, "rogue-server");
        id = forwarder.store(syntheticFiling());
        for (std::size_t n = 1; n <= 2; ++n) { // refused, then refused again on the retry
            const auto r = results.waitFor(n, 10s);
            const auto* late = deferred(r);
            REQUIRE(late);
            INFO(late->reason);
            CHECK(late->filingId == id);
            CHECK(late->reason.starts_with("receipt refused"));
            CHECK_FALSE(late->serverRefused);
        }
        CHECK(forwarder.pendingCount() == 1);
        const auto cases = storedCases(tmp / "central.db");
        REQUIRE(cases.size() == 1); // central has it, and only once despite the retry
        CHECK(cases[0]["idempotencyKey"] == id);
    }
    CHECK(forwarder.pendingCount() == 1);

    // Central back with its receipt key: the replay is answered for the case already registered.
    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", port);
    const auto start = results.size();
    const network::FilingAccepted* ok = nullptr;
    std::optional<network::ForwardResult> r;
    for (std::size_t n = start + 1; !ok && n < start + 50; ++n) {
        r = results.waitFor(n, 10s);
        REQUIRE(r);
        ok = accepted(r);
    }
    REQUIRE(ok);
    CHECK(ok->filingId == id);
    CHECK(forwarder.pendingCount() == 0);
    const auto cases = storedCases(tmp / "central.db");
    REQUIRE(cases.size() == 1);
    CHECK(cases[0]["caseNumber"] == ok->caseNumber);
}

TEST_CASE("with several posts in flight every filing reaches central exactly once", "[forwarder]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    ResultLog results;
    auto config = forwarderConfig(tmp / "outbox.db", central.port());
    config.parallelPosts = 4;
    std::set<std::string> ids;
    {
        network::Forwarder forwarder(config, std::ref(results));
        for (int i = 0; i < 40; ++i)
            ids.insert(forwarder.store(syntheticFiling("parallel " + std::to_string(i))));
        REQUIRE(results.waitFor(40, 30s));
        std::this_thread::sleep_for(300ms); // time for a (wrong) second report to show up
        CHECK(results.size() == 40);
        CHECK(forwarder.pendingCount() == 0);
        // The outbox emptied: the -wal was truncated with the Forwarder still running.
        CHECK(fs::exists(tmp / "outbox.db-wal"));
        for (const auto& id : ids)
            CHECK_FALSE(fileContains(tmp / "outbox.db-wal", id));
    }
    std::set<std::string> reported;
    for (std::size_t n = 1; n <= 40; ++n) {
        const auto r = results.waitFor(n, 0s);
        const auto* ok = accepted(r);
        INFO((deferred(r) ? deferred(r)->reason : ""));
        REQUIRE(ok);
        reported.insert(ok->filingId);
    }
    CHECK(reported == ids);
    std::set<std::string> atCentral;
    for (const auto& c : storedCases(tmp / "central.db"))
        atCentral.insert(c["idempotencyKey"].get<std::string>());
    CHECK(atCentral == ids);
    CHECK(storedCases(tmp / "central.db").size() == 40);
}

TEST_CASE("with central down filings are deferred and pile up in the outbox, and when central is "
          "back a live forwarder delivers every one exactly once",
    "[forwarder]")
{
    // Issue 5's "central down for minutes", compressed: the retry cap is 1 s here (30 s by
    // default: after central returns, a row may wait up to maxRetryDelay for its next attempt;
    // network/README.md). SHENSU_LONG is not needed: the same code runs whatever the duration.
    TempDir tmp;
    const int port = unusedPort();
    auto config = forwarderConfig(tmp / "outbox.db", port);
    config.maxRetryDelay = 1s;
    ResultLog results;
    network::Forwarder forwarder(config, std::ref(results));
    // The first filing is tried at once and deferred as an outage, with no filing data in the
    // reason.
    const std::string firstId = forwarder.store(syntheticFiling("outage first"));
    const auto first = results.waitFor(1, 10s);
    const auto* late = deferred(first);
    REQUIRE(late);
    CHECK(late->filingId == firstId);
    CHECK_FALSE(late->serverRefused);
    CHECK(late->reason.find("unreachable") != std::string::npos);
    CHECK(late->reason.find("Z100000001") == std::string::npos);
    std::set<std::string> ids { firstId };
    for (int i = 1; i < 20; ++i) {
        ids.insert(forwarder.store(syntheticFiling("outage " + std::to_string(i))));
        CHECK(forwarder.pendingCount() == ids.size()); // the queue grows; nothing gets out
        std::this_thread::sleep_for(50ms);
    }
    REQUIRE(results.size() >= 20); // every filing was tried and deferred at least once
    std::size_t acceptedBefore = 0;
    for (std::size_t n = 1; n <= results.size(); ++n) {
        const auto r = results.waitFor(n, 0s);
        acceptedBefore += accepted(r) != nullptr;
    }
    CHECK(acceptedBefore == 0);
    CHECK(ids.size() == 20);

    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", port);
    const auto back = std::chrono::steady_clock::now();
    while (forwarder.pendingCount() > 0 && std::chrono::steady_clock::now() - back < 15s)
        std::this_thread::sleep_for(20ms);
    const auto drained = std::chrono::steady_clock::now() - back;
    INFO("drained " << std::chrono::duration_cast<std::chrono::milliseconds>(drained).count()
                    << " ms after central came back");
    REQUIRE(forwarder.pendingCount() == 0);
    CHECK(drained < 1s + 3s); // the retry cap, plus the posts on a loaded machine
    std::this_thread::sleep_for(300ms); // time for a (wrong) second delivery to show up
    std::multiset<std::string> reported;
    for (std::size_t n = 1; n <= results.size(); ++n) {
        const auto r = results.waitFor(n, 0s);
        if (const auto* ok = accepted(r)) reported.insert(ok->filingId);
    }
    CHECK(reported == std::multiset<std::string>(ids.begin(), ids.end())); // each once
    std::multiset<std::string> atCentral;
    for (const auto& c : storedCases(tmp / "central.db"))
        atCentral.insert(c["idempotencyKey"].get<std::string>());
    CHECK(atCentral == std::multiset<std::string>(ids.begin(), ids.end()));
    CHECK(fs::exists(tmp / "outbox.db-wal"));
    CHECK_FALSE(fileContains(tmp / "outbox.db-wal", *ids.begin()));
}
