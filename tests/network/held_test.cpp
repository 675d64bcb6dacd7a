// Held filings: a filing central refuses for good (a 4xx sending it again cannot change) is held
// in the outbox with the same sealed bytes, never sent again by itself, never in the way of the
// filings behind it, and goes out again only when a technician releases it; an outbox from before
// held filings keeps its rows. Against a real central over mutual TLS and real SQLite files.
#include "kiosk.hpp"
#include "support.hpp"

#include <network/forwarder.hpp>
#include <network/outbox.hpp>
#include <network/sqlite.hpp>

#include <catch2/catch.hpp>
#include <set>
#include <thread>

using namespace shensu;
using namespace shensu::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace
{
struct Ctl {
    int exitCode;
    std::string output;
    std::string errors;
    nlohmann::json json() const { return nlohmann::json::parse(output, nullptr, false); }
};
Ctl ctl(const std::vector<std::string>& args)
{
    std::vector<std::string> argv { (binDir() / "shensu-ctl").string() };
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run(argv);
    return { r.exitCode, r.output, r.errors };
}

// A filing whose answers the DGPA form does not allow: central's form check refuses it (422).
nlohmann::json refusedFiling()
{
    auto filing = syntheticFiling("refused");
    filing["answers"]["salary"] = "1";
    return filing;
}

std::size_t countOf(const std::string& text, const std::string& what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

network::Bytes bytesOf(const std::string& s)
{
    return network::Bytes(s.begin(), s.end());
}
} // namespace

TEST_CASE("a filing central refuses for good is held, the filings behind it go, it survives a "
          "restart of the sender, and retry sends it once central takes it",
    "[forwarder][held]")
{
    TempDir tmp;
    const int port = unusedPort();
    const auto config = writeKioskConfig(
        { pkiDir(), tmp.path(), "https://central.shensu.test:" + std::to_string(port),
            "central.shensu.test:" + std::to_string(port) + ":127.0.0.1" },
        { { "retryFirstDelayMs", 100 }, { "retryMaxDelayMs", 400 } });
    const auto forwarderConfig = network::loadForwarderConfig(config);
    const auto outboxPath = forwarderConfig.outboxPath;
    std::string heldId, second, third;
    {
        RunningCentral central(pkiDir(), tmp / "central.db", "central-server", port);
        ResultLog results;
        network::Forwarder forwarder(forwarderConfig, std::ref(results));
        heldId = forwarder.store(refusedFiling());
        REQUIRE(results.waitFor(1, 10s));
        const auto first = *results.waitFor(1, 0ms);
        const auto* deferred = std::get_if<network::FilingDeferred>(&first);
        REQUIRE(deferred);
        CHECK(deferred->filingId == heldId);
        CHECK(deferred->held);
        CHECK(deferred->reason == "held: central refuses the filing for good: HTTP 422 (form)");
        CHECK(forwarder.heldCount() == 1);
        CHECK(forwarder.pendingCount() == 0);

        // The next filings drain past it.
        second = forwarder.store(syntheticFiling("second"));
        third = forwarder.store(syntheticFiling("third"));
        REQUIRE(results.waitFor(3, 10s));
        for (std::size_t i = 2; i <= 3; ++i) {
            const auto r = *results.waitFor(i, 0ms);
            REQUIRE(std::holds_alternative<network::FilingAccepted>(r));
        }
        CHECK(forwarder.pendingCount() == 0);
        CHECK(forwarder.heldCount() == 1);
        std::this_thread::sleep_for(700ms); // past retryMaxDelayMs (400): nothing more is sent
        CHECK(results.size() == 3);
        CHECK(storedCases(tmp / "central.db").size() == 2);

        network::Outbox look(outboxPath);
        const auto held = look.held();
        REQUIRE(held.size() == 1);
        CHECK(held[0].id == heldId);
        CHECK(held[0].reason == "http-422:form");

        const auto status = ctl({ "outbox", "status", "--config", config.string() }).json();
        CHECK(status["pending"] == 0);
        CHECK(status["held"] == 1);
        CHECK(status["oldestHeldAgeSeconds"].get<int>() >= 0);
        const auto listed = ctl({ "outbox", "list-held", "--config", config.string() });
        REQUIRE(listed.exitCode == 0);
        const auto line = nlohmann::json::parse(listed.output);
        CHECK(line["filingId"] == heldId);
        CHECK(line["reason"] == "http-422:form");
        CHECK(matchesShape(line["heldAt"].get<std::string>(), "9999-99-99T99:99:99Z"));
        CHECK(line["attempts"] == 1);
        CHECK(listed.output.find("林測試") == std::string::npos);

        // Central sees a kiosk with a held filing in its heartbeat, and logs it.
        const auto beat = ctl({ "heartbeat", "--config", config.string() });
        INFO(beat.errors);
        CHECK(beat.json()["sent"] == true);
        const auto kiosks = run({ (binDir() / "shensu-central").string(), "kiosks", "--db",
            (tmp / "central.db").string() });
        REQUIRE(kiosks.exitCode == 0);
        CHECK(nlohmann::json::parse(kiosks.output)["heldFilings"] == 1);
        central.stop();
        CHECK(readFile(central.logPath()).find("KIOSK-TEST-01 holds 1 filing(s)")
            != std::string::npos);
        CHECK(countOf(readFile(central.logPath()), "refused a filing from") == 1);
    }
    {
        network::Outbox look(outboxPath);
        const auto due = look.held();
        REQUIRE(due.size() == 1);
    }

    // Central fixed: it takes any answers now (no form check). The sender restarts: the held
    // filing stays held (not sent by itself) until the technician releases it, with the very
    // sealed bytes it had.
    RunningCentral central(
        pkiDir(), tmp / "central.db", "central-server", port, "central-receipt", { "--forms", "" });
    const auto flushed = ctl({ "outbox", "flush", "--config", config.string(), "--timeout", "5" });
    INFO(flushed.errors);
    CHECK(flushed.exitCode == 3); // not empty: one held
    CHECK(flushed.json()["attempted"] == 0);
    CHECK(flushed.json()["held"] == 1);
    ResultLog results;
    network::Forwarder forwarder(forwarderConfig, std::ref(results));
    CHECK(forwarder.heldCount() == 1);
    std::this_thread::sleep_for(700ms); // past retryMaxDelayMs
    CHECK(results.size() == 0);
    CHECK(storedCases(tmp / "central.db").size() == 2);

    CHECK(ctl({ "outbox", "retry", "--config", config.string(), "--id", "no-such-filing" }).exitCode
        == 3);
    const auto retried = ctl({ "outbox", "retry", "--config", config.string(), "--id", heldId });
    INFO(retried.errors);
    REQUIRE(retried.exitCode == 0);
    CHECK(retried.json()["released"] == 1);
    // The running forwarder looks again within retryMaxDelayMs.
    REQUIRE(results.waitFor(1, 10s));
    const auto accepted = *results.waitFor(1, 0ms);
    REQUIRE(std::holds_alternative<network::FilingAccepted>(accepted));
    CHECK(std::get<network::FilingAccepted>(accepted).filingId == heldId);
    CHECK(forwarder.heldCount() == 0);
    CHECK(forwarder.pendingCount() == 0);
    CHECK(storedCases(tmp / "central.db").size() == 3);
    const auto arrived = arrivedFilings(tmp / "central.db");
    REQUIRE(arrived.size() == 3);
    // The two behind it went first, in either order (parallelPosts: up to 4 posts in flight).
    CHECK(std::set<std::string> { arrived[0].idempotencyKey, arrived[1].idempotencyKey }
        == std::set<std::string> { second, third });
    CHECK(arrived[2].idempotencyKey == heldId);
    CHECK(arrived[2].filing["answers"]["salary"] == "1");
    CHECK(ctl({ "outbox", "status", "--config", config.string() }).json()
        == nlohmann::json { { "pending", 0 }, { "oldestAgeSeconds", nullptr }, { "held", 0 },
            { "oldestHeldAgeSeconds", nullptr } });
}

TEST_CASE("an outbox from before held filings keeps its waiting rows, which can be held and "
          "released",
    "[outbox][held]")
{
    TempDir tmp;
    const auto t0 = network::Clock::now();
    const auto ms = [](network::Clock::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    };
    {
        // The outbox as the release before held filings made it (with case-number leases).
        network::sqlite::Database db(tmp / "outbox.db");
        db.exec("PRAGMA journal_mode=WAL");
        db.exec("CREATE TABLE outbox (id TEXT PRIMARY KEY, envelope BLOB NOT NULL,"
                " created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
                " next_attempt_at INTEGER NOT NULL, case_number TEXT)");
        const auto a = bytesOf("sealed-A");
        const auto b = bytesOf("sealed-B");
        db.prepare("INSERT INTO outbox VALUES ('a', ?, ?, 3, ?, NULL)")
            .bind(1, a)
            .bind(2, ms(t0))
            .bind(3, ms(t0 + 10s))
            .run();
        db.prepare("INSERT INTO outbox VALUES ('b', ?, ?, 0, ?, '1151123-0001')")
            .bind(1, b)
            .bind(2, ms(t0 + 1ms))
            .bind(3, ms(t0))
            .run();
    }
    {
        network::Outbox outbox(tmp / "outbox.db");
        CHECK(outbox.count() == 2);
        CHECK(outbox.heldCount() == 0);
        CHECK(outbox.ids() == std::vector<std::string> { "a", "b" });
        CHECK(outbox.nextDue(t0)->id == "b");
        const auto a = outbox.nextDue(t0 + 10s);
        REQUIRE(a);
        CHECK(a->id == "a");
        CHECK(a->attempts == 3);
        CHECK(a->envelope == bytesOf("sealed-A"));

        outbox.hold("a", "http-422", t0 + 20s);
        outbox.hold("a", "http-400", t0 + 30s); // held already: unchanged
    }
    network::Outbox outbox(tmp / "outbox.db"); // reopened: the columns are there, nothing added
    CHECK(outbox.count() == 1);
    CHECK(outbox.heldCount() == 1);
    CHECK(outbox.ids() == std::vector<std::string> { "b" });
    CHECK(outbox.nextDue(t0 + 1h)->id == "b");
    CHECK(outbox.earliestAttempt() == outbox.nextDue(t0 + 1h)->nextAttemptAt);
    CHECK(outbox.oldestCreatedAt() == outbox.nextDue(t0 + 1h)->createdAt);
    const auto held = outbox.held();
    REQUIRE(held.size() == 1);
    CHECK(held[0].id == "a");
    CHECK(held[0].reason == "http-422");
    CHECK(ms(held[0].heldAt) == ms(t0 + 20s));
    CHECK(held[0].attempts == 4);
    CHECK(ms(*outbox.oldestHeldAt()) == ms(t0 + 20s));

    CHECK(outbox.release(std::string("b"), t0) == 0); // not held
    CHECK(outbox.release(std::nullopt, t0 + 40s) == 1);
    CHECK(outbox.heldCount() == 0);
    CHECK(outbox.count() == 2);
    const auto back = outbox.nextDue(t0 + 40s);
    REQUIRE(back);
    CHECK(back->id == "a"); // the older one first
    CHECK(back->attempts == 0);
    CHECK(back->envelope == bytesOf("sealed-A"));
}
