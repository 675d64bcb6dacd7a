// The outbox: rows survive reopening; removed rows leave no bytes behind in the database or its
// WAL.
#include "support.hpp"

#include <network/outbox.hpp>

#include <catch2/catch.hpp>

using namespace shensu;
using namespace shensu::testing;

namespace
{
network::Bytes bytesOf(const std::string& s)
{
    return network::Bytes(s.begin(), s.end());
}
} // namespace

TEST_CASE("an outbox row survives closing and reopening the outbox", "[outbox]")
{
    TempDir tmp;
    const auto now = network::Clock::now();
    const std::string id = network::newUuid();
    {
        network::Outbox outbox(tmp / "outbox.db");
        outbox.add(id, bytesOf("sealed-envelope-1"), now);
    }
    network::Outbox reopened(tmp / "outbox.db");
    CHECK(reopened.count() == 1);
    const auto due = reopened.nextDue(now);
    REQUIRE(due);
    CHECK(due->id == id);
    CHECK(due->envelope == bytesOf("sealed-envelope-1"));
    CHECK(due->attempts == 0);
}

TEST_CASE(
    "outbox rows come out oldest first and a deferred row waits for its next attempt", "[outbox]")
{
    TempDir tmp;
    network::Outbox outbox(tmp / "outbox.db");
    const auto t0 = network::Clock::now();
    outbox.add("a", bytesOf("A"), t0);
    outbox.add("b", bytesOf("B"), t0 + std::chrono::milliseconds(1));
    CHECK(outbox.nextDue(t0 + std::chrono::seconds(1))->id == "a");

    outbox.markAttempt("a", t0 + std::chrono::seconds(10));
    CHECK(outbox.nextDue(t0 + std::chrono::seconds(1))->id == "b");
    CHECK(outbox.nextDue(t0 + std::chrono::seconds(11))->id == "a");
    CHECK(outbox.nextDue(t0 + std::chrono::seconds(11))->attempts == 1);

    outbox.makeAllDue(t0 + std::chrono::seconds(2));
    CHECK(outbox.nextDue(t0 + std::chrono::seconds(2))->id == "a");
    CHECK(outbox.earliestAttempt() <= t0 + std::chrono::seconds(2));
}

TEST_CASE("a removed outbox row is found neither in the database nor in its -wal file", "[outbox]")
{
    TempDir tmp;
    const auto db = tmp / "outbox.db";
    const std::string marker = "MARKER-" + network::newUuid();
    const std::string keep = "KEEP-" + network::newUuid();
    network::Outbox outbox(db);
    outbox.add("gone", bytesOf(marker + marker + marker), network::Clock::now());
    outbox.add("kept", bytesOf(keep), network::Clock::now());
    REQUIRE((fileContains(db, marker) || fileContains(tmp / "outbox.db-wal", marker)));

    outbox.remove("gone");
    CHECK(outbox.count() == 1);
    // While the connection is open, and after it is closed.
    CHECK_FALSE(fileContains(db, marker));
    CHECK_FALSE(fileContains(tmp / "outbox.db-wal", marker));
    CHECK(fileContains(db, keep));
}

TEST_CASE("outbox ids are random version-4 UUIDs", "[outbox]")
{
    const auto a = network::newUuid();
    CHECK(matchesShape(a, "xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxxxxxxx"));
    CHECK(std::string("89ab").find(a[19]) != std::string::npos); // RFC 4122 variant
    CHECK(a != network::newUuid());
}

TEST_CASE("the outbox's own connection runs in WAL mode with synchronous=FULL and secure_delete, "
          "also after a remove() that dropped to NORMAL",
    "[outbox]")
{
    // Read through the Outbox's connection: synchronous and secure_delete are per connection, so
    // the sqlite3 CLI could not see them. (Debian's libsqlite3 is built with synchronous FULL and
    // SECURE_DELETE as defaults, so on this build the pragmas set at open cannot be told from the
    // defaults; what this catches is WAL not set, and a remove() that leaves NORMAL behind.)
    TempDir tmp;
    const auto checkPragmas = [](network::Outbox& outbox) {
        CHECK(outbox.pragma("journal_mode") == "wal");
        CHECK(outbox.pragma("synchronous") == "2"); // FULL
        CHECK(outbox.pragma("secure_delete") == "1");
    };
    network::Outbox outbox(tmp / "outbox.db");
    checkPragmas(outbox);
    outbox.add("a", bytesOf("A"), network::Clock::now());
    outbox.add("b", bytesOf("B"), network::Clock::now());
    checkPragmas(outbox);
    outbox.remove("a", false); // the DELETE runs with synchronous=NORMAL
    checkPragmas(outbox);
    outbox.remove("b");
    checkPragmas(outbox);
    network::Outbox reopened(tmp / "outbox.db");
    checkPragmas(reopened);
    CHECK_THROWS_AS(outbox.pragma("synchronous=OFF"), std::invalid_argument);
}
