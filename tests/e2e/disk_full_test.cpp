// End to end: the kiosk's disk is full. A headless kiosk runs with RLIMIT_FSIZE just above its
// outbox's files (SIGXFSZ ignored, so a write past it fails with EFBIG as on a full disk, instead
// of killing the kiosk); the outbox's write-ahead log was left long by an earlier transaction, so
// the filing's row cannot be written. The person must see that nothing was saved, never a case
// number or "saved", and keep the answers to try again.
#include "central.hpp"
#include "kiosk.hpp"
#include "pki.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include <sqlite3.h>

using namespace shensu::testing;
using nlohmann::json;

namespace
{

void exec(sqlite3* db, const char* sql)
{
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    INFO((error != nullptr ? error : ""));
    sqlite3_free(error);
    REQUIRE(rc == SQLITE_OK);
}

std::uintmax_t sizeOr0(const std::filesystem::path& file)
{
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    return ec ? 0 : size;
}

} // namespace

TEST_CASE("With the disk full the kiosk says nothing was saved, never shows a case number, and "
          "keeps the answers: once there is room, retrying files them")
{
    TempDir dir;
    RunningCentral central(fixturePki(), dir.path() / "central.sqlite");
    const auto config
        = writeKioskConfig({ fixturePki(), dir.path(), central.url(), central.resolve() },
            { { "heartbeatSeconds", 0 } });
    const auto outbox = dir.path() / "outbox.sqlite";
    // The outbox as a kiosk that ran before left it (made by its own code: the Forwarder).
    const auto made = run({ (binDir() / "shensu-ctl").string(), "outbox", "flush", "--config",
        config.string(), "--timeout", "1" });
    INFO(made.errors);
    REQUIRE(made.exitCode == 0);

    // A long write-ahead log that nobody checkpoints while this connection stays open: the
    // kiosk's next write goes after its end.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(outbox.c_str(), &db) == SQLITE_OK);
    exec(db, "PRAGMA wal_autocheckpoint=0");
    exec(db,
        "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) "
        "INSERT INTO leased_numbers (case_number, lease_id, position) SELECT 'X' || i, "
        "hex(randomblob(2000)), i FROM n; COMMIT");
    exec(db, "DELETE FROM leased_numbers");
    const auto limit = 1024
        + std::max({ sizeOr0(outbox), sizeOr0(outbox.string() + "-wal"),
            sizeOr0(outbox.string() + "-shm") });

    KioskSession kiosk(config,
        { "/bin/bash", "-c",
            "trap '' XFSZ; exec prlimit --fsize=" + std::to_string(limit) + ": -- \"$@\"",
            "bash" });
    kiosk.confirmAnonymousFiling();

    const auto error = kiosk.waitFor([](const json& e) { return e.value("event", "") == "error"; });
    CHECK(error["screen"] == "submit_error");
    CHECK(error["key"] == "submit_error.body");
    CHECK(error["message"] == "系統發生問題：您的申訴沒有保存，也沒有送出。請重試，或洽服務台。");
    for (const auto& e : kiosk.events()) {
        CHECK(e.value("event", "") != "submitted");
        CHECK(e.value("event", "") != "queued");
    }
    CHECK(storedCases(dir.path() / "central.sqlite").empty());
    // The outbox opened (the kiosk's Forwarder runs); storing the filing is what failed.
    const std::string log = readFile(kiosk.stderrPath());
    INFO(log);
    CHECK(log.find("forwarder unavailable") == std::string::npos);
    CHECK(log.find("network: store failed") != std::string::npos);
    // EFBIG here; a full disk's ENOSPC reads "database or disk is full".
    CHECK((log.find("disk I/O error") != std::string::npos
        || log.find("database or disk is full") != std::string::npos));

    // Room again: the log checkpointed and the limit lifted (only the soft limit was set, so the
    // same user may raise it again). 重試 goes back to the review with
    // the answers kept, and they are filed without typing them again.
    REQUIRE(sqlite3_close(db) == SQLITE_OK);
    const auto lifted
        = run({ "prlimit", "--pid", std::to_string(kiosk.pid()), "--fsize=unlimited:" });
    INFO(lifted.errors);
    REQUIRE(lifted.exitCode == 0);
    kiosk.send({ { "cmd", "tap" }, { "id", "submit_error.retry" } });
    kiosk.waitForScreen("review");
    kiosk.send({ { "cmd", "tap" }, { "id", "review.confirm" } });
    const auto submitted
        = kiosk.waitFor([](const json& e) { return e.value("event", "") == "submitted"; });
    const auto cases = storedCases(dir.path() / "central.sqlite");
    REQUIRE(cases.size() == 1);
    CHECK(cases[0]["caseNumber"] == submitted["caseNumber"]);
    CHECK(kiosk.quit() == 0);
}
