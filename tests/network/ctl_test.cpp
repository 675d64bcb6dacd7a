// shensu-ctl: filing through the kiosk's own Forwarder, and the outbox seen and drained from the
// command line, against a real central.
#include "kiosk.hpp"
#include "support.hpp"

#include <kiosk/core/step.hpp>
#include <network/forwarder.hpp>
#include <network/protocol.hpp>
#include <network/sqlite.hpp>

#include <catch2/catch.hpp>
#include <mutex>

using namespace shensu;
using namespace shensu::testing;
namespace fs = std::filesystem;

namespace
{
fs::path kioskConfig(const TempDir& tmp, int port)
{
    const std::string url = "https://central.shensu.test:" + std::to_string(port);
    const std::string resolve = "central.shensu.test:" + std::to_string(port) + ":127.0.0.1";
    return writeKioskConfig({ pkiDir(), tmp.path(), url, resolve },
        { { "retryFirstDelayMs", 100 }, { "retryMaxDelayMs", 400 } });
}

fs::path answers(const TempDir& tmp, nlohmann::json extra = {})
{
    nlohmann::json a { { "agency", "測試市政府人事處" }, { "title", "科員" }, { "name", "林測試" },
        { "identity", "civil_servant" }, { "phone", "02-23979298" },
        { "facts", "測試用的申訴內容：主管於會議中多次以言語羞辱。" } };
    if (extra.is_object()) a.update(extra);
    writeFile(tmp / "answers.json", a.dump());
    return tmp / "answers.json";
}

struct Ctl {
    int exitCode;
    nlohmann::json out;
    std::string errors;
};
Ctl ctl(const std::vector<std::string>& args)
{
    std::vector<std::string> argv { (binDir() / "shensu-ctl").string() };
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = run(argv);
    return { r.exitCode, nlohmann::json::parse(r.output, nullptr, false), r.errors };
}
} // namespace

TEST_CASE(
    "shensu-ctl file seals a filing as the kiosk does and central receives exactly it", "[ctl]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    const auto config = kioskConfig(tmp, central.port());

    const auto filed = ctl({ "file", "--config", config.string(), "--form", "dgpa-complaint",
        "--answers", answers(tmp).string(), "--wait", "10" });
    INFO(filed.errors);
    REQUIRE(filed.exitCode == 0);
    CHECK(filed.out["delivered"] == true);
    CHECK(matchesShape(filed.out["caseNumber"].get<std::string>(), "9999999-0001"));
    CHECK(network::protocol::isWellFormedVerificationCode(
        filed.out["verificationCode"].get<std::string>()));

    const auto arrived = arrivedFilings(tmp / "central.db");
    REQUIRE(arrived.size() == 1);
    CHECK(arrived[0].idempotencyKey == filed.out["filingId"]);
    const auto& filing = arrived[0].filing;
    CHECK(filing["form"] == nlohmann::json { { "id", "dgpa-complaint" }, { "version", 1 } });
    CHECK(filing["answers"]["agency"] == "測試市政府人事處");
    CHECK(filing["filer"]["name"] == "林測試");
    CHECK(filing["kioskId"] == "KIOSK-TEST-01");
    CHECK(ctl({ "outbox", "status", "--config", config.string() }).out["pending"] == 0);

    SECTION("an anonymous filing names nobody")
    {
        const auto anon
            = ctl({ "file", "--config", config.string(), "--form", "dgpa-complaint", "--answers",
                answers(tmp, { { "name", "" }, { "title", "" }, { "phone", "" } }).string(),
                "--anonymous", "--wait", "10" });
        REQUIRE(anon.exitCode == 0);
        CHECK(anon.out["delivered"] == true);
        const auto both = arrivedFilings(tmp / "central.db");
        REQUIRE(both.size() == 2);
        CHECK(both[1].filing["filer"] == "anonymous");
        CHECK_FALSE(both[1].filing["answers"].contains("name"));
    }
    SECTION("answers the form does not have, or missing required ones, store nothing")
    {
        const auto unknown = ctl({ "file", "--config", config.string(), "--form", "dgpa-complaint",
            "--answers", answers(tmp, { { "salary", "1" } }).string() });
        CHECK(unknown.exitCode == 1);
        CHECK(unknown.errors.find("no field 'salary'") != std::string::npos);
        const auto missing = ctl({ "file", "--config", config.string(), "--form", "dgpa-complaint",
            "--answers", answers(tmp, { { "facts", " " } }).string() });
        CHECK(missing.exitCode == 1);
        CHECK(ctl({ "outbox", "status", "--config", config.string() }).out["pending"] == 0);
        CHECK(arrivedFilings(tmp / "central.db").size() == 1);
    }
}

TEST_CASE("shensu-ctl outbox status counts what central has not answered for and outbox flush "
          "delivers it once central is back",
    "[ctl]")
{
    TempDir tmp;
    const int port = unusedPort();
    const auto config = kioskConfig(tmp, port);
    for (int i = 0; i < 3; ++i) {
        const auto filed
            = ctl({ "file", "--config", config.string(), "--form", "dgpa-complaint", "--answers",
                answers(tmp, { { "facts", "第 " + std::to_string(i) + " 件" } }).string() });
        REQUIRE(filed.exitCode == 0);
        CHECK(filed.out["stored"] == true);
    }
    // Backdated rows stand for filings kept through a long outage: the second one stored is made
    // the oldest (2 h), the first 1 h, so the age is the smallest created_at's, not the first
    // row's.
    {
        network::sqlite::Database db(tmp.path() / "outbox.sqlite");
        db.exec("UPDATE outbox SET created_at = created_at - 3600000 WHERE rowid = "
                "(SELECT min(rowid) FROM outbox)");
        db.exec("UPDATE outbox SET created_at = created_at - 7200000 WHERE rowid = "
                "(SELECT min(rowid) + 1 FROM outbox)");
    }
    const auto before = ctl({ "outbox", "status", "--config", config.string() });
    REQUIRE(before.exitCode == 0);
    CHECK(before.out["pending"] == 3);
    CHECK(before.out["oldestAgeSeconds"].get<int>() >= 7200);
    CHECK(before.out["oldestAgeSeconds"].get<int>() <= 7200 + 60);

    const auto offline = ctl({ "outbox", "flush", "--config", config.string(), "--timeout", "10" });
    CHECK(offline.exitCode == 3);
    CHECK(offline.out["delivered"] == 0);
    CHECK(offline.out["deferred"] == 3);
    CHECK(offline.out["pending"] == 3);
    CHECK(offline.out["reasons"][0].get<std::string>().starts_with("central unreachable"));

    RunningCentral central(pkiDir(), tmp / "central.db", "central-server", port);
    const auto flushed = ctl({ "outbox", "flush", "--config", config.string(), "--timeout", "20" });
    INFO(flushed.errors);
    CHECK(flushed.exitCode == 0);
    CHECK(flushed.out["delivered"] == 3);
    CHECK(flushed.out["pending"] == 0);
    CHECK(ctl({ "outbox", "status", "--config", config.string() }).out
        == nlohmann::json { { "pending", 0 }, { "oldestAgeSeconds", nullptr }, { "held", 0 },
            { "oldestHeldAgeSeconds", nullptr } });
    CHECK(arrivedFilings(tmp / "central.db").size() == 3);
}

TEST_CASE("shensu-ctl heartbeat tells central the kiosk's health and central refuses a heartbeat "
          "carrying anything else",
    "[ctl][storage]")
{
    TempDir tmp;
    RunningCentral central(pkiDir(), tmp / "central.db");
    const auto config = kioskConfig(tmp, central.port());
    const auto sent = ctl({ "heartbeat", "--config", config.string(), "--version", "0.9.1" });
    INFO(sent.errors);
    REQUIRE(sent.exitCode == 0);
    CHECK(sent.out["sent"] == true);

    const auto listed = run({ (binDir() / "shensu-central").string(), "kiosks", "--db",
        centralDb(tmp / "central.db") });
    REQUIRE(listed.exitCode == 0);
    const auto kiosk = nlohmann::json::parse(listed.output);
    CHECK(kiosk["kioskId"] == "KIOSK-TEST-01"); // from the TLS client certificate
    CHECK(kiosk["version"] == "0.9.1");
    CHECK(kiosk["outboxDepth"] == 0);
    CHECK(kiosk["readers"] == nlohmann::json::array());

    writeFile(tmp / "hb.json",
        R"({"version":"0.9.1","outboxDepth":0,"oldestOutboxAgeSeconds":0,"readers":[],"name":"林測試"})");
    const auto refused
        = post(central, "/v1/heartbeat", tmp / "hb.json", { "Content-Type: application/json" });
    CHECK(refused.status == 400);
    CHECK(refused.body["error"].get<std::string>().find("unexpected field 'name'")
        != std::string::npos);
    CHECK_FALSE(centralDbContains(tmp / "central.db", "林測試"));

    // Each heartbeat is a synced write: a kiosk flooding them is told to wait (burst 5, then one
    // per 10 s; ten in a row cannot all pass even on a slow machine).
    writeFile(tmp / "ok.json", R"({"version":"0.9.1","outboxDepth":0,"oldestOutboxAgeSeconds":0})");
    int limited = 0;
    for (int i = 0; i < 10; ++i) {
        const auto r
            = post(central, "/v1/heartbeat", tmp / "ok.json", { "Content-Type: application/json" });
        CHECK((r.status == 200 || r.status == 429));
        if (r.status == 429) {
            ++limited;
            CHECK(r.headers.find("Retry-After: ") != std::string::npos);
        }
    }
    CHECK(limited >= 3);
}

TEST_CASE(
    "shensu-ctl refuses to file or flush while the kiosk's Forwarder holds the outbox", "[ctl]")
{
    // A second Forwarder on a live kiosk's outbox would post the same rows; if it got the
    // receipt, the case number would land on the technician's terminal, not the filer's screen.
    TempDir tmp;
    const auto config = kioskConfig(tmp, unusedPort()); // nobody answers: rows stay
    const auto stored = ctl({ "file", "--config", config.string(), "--form", "dgpa-complaint",
        "--answers", answers(tmp).string() });
    REQUIRE(stored.exitCode == 0);
    {
        std::vector<network::ForwardResult> seen;
        std::mutex seenMutex;
        network::Forwarder kiosk(network::loadForwarderConfig(config), [&](const auto& r) {
            std::lock_guard lock(seenMutex);
            seen.push_back(r);
        });
        CHECK_THROWS_AS(
            network::Forwarder(network::loadForwarderConfig(config), nullptr), network::OutboxBusy);

        const auto flush
            = ctl({ "outbox", "flush", "--config", config.string(), "--timeout", "5" });
        CHECK(flush.exitCode == 4);
        CHECK(flush.errors.find("in use by another forwarder") != std::string::npos);
        const auto file = ctl({ "file", "--config", config.string(), "--form", "dgpa-complaint",
            "--answers", answers(tmp).string() });
        CHECK(file.exitCode == 4);
        // Looking is fine while the kiosk runs.
        CHECK(ctl({ "outbox", "status", "--config", config.string() }).out["pending"] == 1);
    }
    // Once the kiosk's Forwarder is gone (or its process died: the kernel drops the flock), ctl
    // may drain the outbox.
    const auto flush = ctl({ "outbox", "flush", "--config", config.string(), "--timeout", "5" });
    CHECK(flush.exitCode == 3);
    CHECK(flush.out["deferred"] == 1);
}

TEST_CASE("shensu-ctl file builds the same filing as the kiosk for the same answers: the MOL form "
          "with two respondents, multiple choices and 其他 texts",
    "[ctl]")
{
    // The answers as the kiosk keeps them, in the order a person gives them. staff_category's
    // 其他 text was typed, then another category chosen: neither files it.
    const std::vector<std::pair<std::string, std::string>> given {
        { "unit_name", "測試股份有限公司" },
        { "mail_address", "臺北市中正區測試路1號" },
        { "registered_address", "臺北市中正區測試路1號" },
        { "size", "30_99" },
        { "industry", "電腦程式設計" },
        { "reporter_name", "林測試" },
        { "reporter_phone", "02-23979298" },
        { "reporter_email", "hr@example.test" },
        { "complainant_name", "某○某" },
        { "received_date", "115/07/01" },
        { "complainant_sex", "female" },
        { "disability", "no" },
        { "staff_category", "other" },
        { "staff_category_other", "實習生" },
        { "staff_category", "employee" },
        { "civil_servant", "no" },
        { "age", "25_44" },
        { "nationality", "national" },
        { "respondents", "2" },
        { "respondents.0.name", "○某○" },
        { "respondents.0.sex", "male" },
        { "respondents.0.civil_servant", "no" },
        { "respondents.0.relationship", "superior_direct" },
        { "respondents.0.forms", "verbal,digital" },
        { "respondents.0.patterns", "exclusion,other" },
        { "respondents.0.patterns_other", "午休時間被要求接電話" },
        { "respondents.1.name", "第二位被申訴人" },
        { "respondents.1.sex", "female" },
        { "respondents.1.civil_servant", "no" },
        { "respondents.1.relationship", "superior_direct" },
        { "respondents.1.forms", "verbal" },
        { "respondents.1.patterns", "exclusion" },
    };

    // The kiosk: its core, stepped as the screens step it, up to the filing it hands the network
    // worker.
    const auto form = std::make_shared<const kiosk::Form>(
        kiosk::loadForm(sourceDir() / "assets/forms/mol-wbrs-enterprise.stage1.v1.json"));
    kiosk::State state = kiosk::initialState(form, "KIOSK-TEST-01", kiosk::Language::ZH_TW);
    std::vector<kiosk::Command> commands;
    auto send = [&](const kiosk::Event& e) {
        auto r = kiosk::step(state, e);
        state = std::move(r.state);
        commands.insert(commands.end(), r.commands.begin(), r.commands.end());
    };
    send(kiosk::ChooseAnonymous {});
    send(kiosk::ConfirmAnonymous {});
    nlohmann::json answers = nlohmann::json::object();
    for (const auto& [id, value] : given) {
        send(kiosk::EditField { id, value });
        answers[id] = value;
    }
    send(kiosk::ReviewForm {});
    REQUIRE(state.screen == kiosk::Screen::REVIEW);
    send(kiosk::ConfirmFiling { "2026-11-23T20:00:00Z" });
    nlohmann::json kioskFiling;
    for (const auto& c : commands)
        if (const auto* store = std::get_if<kiosk::StoreFiling>(&c)) kioskFiling = store->filing;
    REQUIRE(kioskFiling.is_object());

    // shensu-ctl, from the same answers in a file.
    TempDir tmp;
    const auto config = writeKioskConfig({ tmp.path(), tmp.path(), "https://unused.test", "" });
    writeFile(tmp / "answers.json", answers.dump());
    const auto ctlFiling
        = ctl({ "file", "--config", config.string(), "--form", "mol-wbrs-enterprise-stage1",
            "--answers", (tmp / "answers.json").string(), "--anonymous", "--dry-run" });
    INFO(ctlFiling.errors);
    REQUIRE(ctlFiling.exitCode == 0);
    CHECK_FALSE(fs::exists(tmp / "outbox.sqlite")); // a dry run stores nothing

    auto withoutTime = [](nlohmann::json filing) {
        filing.erase("createdAt");
        return filing;
    };
    CHECK(withoutTime(ctlFiling.out).dump() == withoutTime(kioskFiling).dump());
    const auto& respondents = ctlFiling.out["answers"]["respondents"];
    REQUIRE(respondents.size() == 2);
    CHECK(respondents[0]["forms"] == nlohmann::json { "verbal", "digital" });
    CHECK(respondents[0]["patterns_other"] == "午休時間被要求接電話");
    CHECK_FALSE(ctlFiling.out["answers"].contains("staff_category_other"));
}
