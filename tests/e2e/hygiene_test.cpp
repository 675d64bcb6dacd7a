// PIN and personal-data hygiene over a whole session (issue 3 point 4): the real kiosk headless,
// stock OpenSC, a real pcscd with the simulated card, a real central over mutual TLS. After the
// session, EVERYTHING the kiosk and central wrote is read: the kiosk's events (stdout) and
// stderr, its state dir, outbox database with its -wal/-shm, central's database with its
// -wal/-shm and side files, central's stdout and stderr log, and every temp file either made
// (TMPDIR points into the test's own directory). None may hold a PIN typed, the filer's name,
// ID number or card number, in UTF-8 or Big5, as text or as hex. There is no exception list: a
// hit is a leak to fix.
#include "central.hpp"
#include "kiosk.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <set>

#include <iconv.h>

using namespace shensu::testing;
using nlohmann::json;

namespace
{

json tap(const std::string& id)
{
    return { { "cmd", "tap" }, { "id", id } };
}
json type(const std::string& id, const std::string& text)
{
    return { { "cmd", "type" }, { "id", id }, { "text", text } };
}
json pin(const std::string& digits)
{
    return { { "cmd", "pin" }, { "digits", digits } };
}
json card(const std::string& action, const std::string& kind)
{
    return { { "cmd", "card" }, { "action", action }, { "kind", kind }, { "slot", 0 } };
}
bool isEvent(const json& e, const char* name)
{
    return e.value("event", "") == name;
}

std::filesystem::path citizenPki()
{
    const char* dir = std::getenv("SHENSU_CITIZEN_PKI");
    REQUIRE(dir != nullptr);
    return dir;
}

// `text` (UTF-8) in Big5, through iconv like the card reader's own decoding would go backwards.
std::string big5(const std::string& text)
{
    iconv_t cd = iconv_open("BIG5", "UTF-8");
    REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
    std::string in = text;
    std::string out(text.size() * 2 + 8, '\0');
    char* inp = in.data();
    char* outp = out.data();
    std::size_t inLeft = in.size();
    std::size_t outLeft = out.size();
    const auto r = iconv(cd, &inp, &inLeft, &outp, &outLeft);
    iconv_close(cd);
    REQUIRE(r != static_cast<std::size_t>(-1));
    out.resize(out.size() - outLeft);
    return out;
}

std::string hex(const std::string& bytes, bool upper)
{
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string out;
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

// Every form a secret is looked for in: UTF-8, Big5, and each as lower- and upper-case hex.
std::vector<std::pair<std::string, std::string>> formsOf(const std::string& secret)
{
    std::vector<std::pair<std::string, std::string>> forms { { "UTF-8", secret } };
    const std::string b5 = big5(secret);
    if (b5 != secret) forms.emplace_back("Big5", b5);
    for (const auto& [name, bytes] : std::vector(forms)) {
        forms.emplace_back(name + " as hex", hex(bytes, false));
        forms.emplace_back(name + " as HEX", hex(bytes, true));
    }
    return forms;
}

struct Session {
    TempDir dir;
    std::filesystem::path tmp = dir.path() / "tmp";
    TempDir fixtures;
    std::unique_ptr<RunningCentral> central;
    std::unique_ptr<KioskSession> kiosk;

    Session()
    {
        std::filesystem::create_directories(tmp);
        // Children inherit it: the kiosk's, central's and SQLite's temp files land in the scan.
        REQUIRE(setenv("TMPDIR", tmp.c_str(), 1) == 0);
        // The health card's registration (a scrypt hash, the holder's name) is central's input,
        // kept outside the scanned directory.
        registerNhiCard(fixtures.path() / "nhi-registry.json", "000012345678", "Hyg#2026ok",
            "林測試", "測試市政府人事處");
        central = std::make_unique<RunningCentral>(citizenPki(), dir.path() / "central.sqlite",
            "central-server", 0, "central-receipt",
            centralAuthArgs(citizenPki(), fixtures.path() / "nhi-registry.json"));
        kiosk = std::make_unique<KioskSession>(
            writeKioskConfig({ citizenPki(), dir.path(), central->url(), central->resolve() },
                { { "pinPadShuffle", true }, { "stateDir", (dir.path() / "state").string() } }));
        kiosk->waitForScreen("home");
    }

    // signPin: a citizen-certificate filer signs the filing with the PIN entered again.
    void fillAndFile(const char* signPin = nullptr)
    {
        kiosk->send(tap("card_read.continue"));
        kiosk->waitForScreen("form");
        kiosk->send(type("form.agency", "測試市政府人事處"));
        kiosk->send(type("form.title", "科員"));
        kiosk->send(tap("form.identity.0"));
        kiosk->send(type("form.phone", "02-23979298"));
        kiosk->send(type("form.facts", "測試用的申訴內容。"));
        kiosk->send(tap("form.submit"));
        kiosk->waitForScreen("review");
        kiosk->send(tap("review.confirm"));
        if (signPin != nullptr) {
            const auto pad = kiosk->waitFor([](const json& e) { return isEvent(e, "pin"); });
            REQUIRE(pad["purpose"] == "sign");
            kiosk->send(pin(signPin));
            kiosk->send(tap("pin.confirm"));
        }
        kiosk->waitFor([](const json& e) { return isEvent(e, "submitted"); });
        REQUIRE(storedCases(dir.path() / "central.sqlite").size() == 1);
    }

    std::vector<std::pair<std::string, std::string>> sources;
    std::set<std::string> names;

    // Reads every file under the test's directory now (`when` names the moment in reports): while
    // both run, SQLite's -wal and -shm files are there too.
    void readFiles(const std::string& when)
    {
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
            if (!entry.is_regular_file()) continue;
            const auto relative = std::filesystem::relative(entry.path(), dir.path()).string();
            names.insert(relative);
            sources.emplace_back(relative + " (" + when + ")", readFile(entry.path()));
        }
    }

    // Ends both programs, then checks that none of what they wrote, read while they ran and after,
    // holds a secret. `expected` are files the scan must have read (a rename would otherwise make
    // it pass on nothing).
    void scan(const std::vector<std::string>& secrets, const std::vector<std::string>& expected)
    {
        readFiles("while running");
        REQUIRE(kiosk->quit() == 0);
        REQUIRE(central->stop() == 0);
        readFiles("after exit");
        std::string events;
        for (auto e : kiosk->events()) {
            e.erase("ms"); // a timing's decimals are not the kiosk writing a PIN
            // Nor is the shuffled pad's key order (a layout of ten digits holds some six-digit
            // runs): it is checked to be a layout instead.
            if (e.contains("layout")) {
                std::string layout = e["layout"].get<std::string>();
                std::sort(layout.begin(), layout.end());
                CHECK(layout == "0123456789");
                e.erase("layout");
            }
            events += e.dump() + "\n";
        }
        REQUIRE(events.find("\"event\":\"submitted\"") != std::string::npos);
        sources.emplace_back("kiosk events (stdout)", events);
        sources.emplace_back("central stdout", central->output());
        CHECK(central->output().empty()); // nothing after "listening on": read anyway
        for (const auto& file : expected) {
            INFO("files read: " << Catch::Detail::stringify(names));
            CHECK(names.count(file) == 1);
        }
        for (const auto& secret : secrets) {
            for (const auto& [form, bytes] : formsOf(secret)) {
                for (const auto& [source, content] : sources) {
                    const auto at = content.find(bytes);
                    INFO(secret << " (" << form << ") in " << source << " at byte " << at);
                    CHECK(at == std::string::npos);
                }
            }
        }
    }
};

constexpr const char* RIGHT_PIN = "123456";
constexpr const char* WRONG_PIN = "654321";
// Who the simulated cards belong to (cardio/sim, scripts/make-test-pki,
// tests/central/personnel.json).
constexpr const char* NAME = "林測試";
constexpr const char* ID_NUMBER = "Z100000001";
constexpr const char* CERTIFICATE_SERIAL = "0000000112345678";
// The health card's registration password (registered in Session) and a wrong one.
constexpr const char* RIGHT_PASSWORD = "Hyg#2026ok";
constexpr const char* WRONG_PASSWORD = "Wrong#2026";
constexpr const char* HEALTH_CARD_NUMBER = "000012345678";

} // namespace

TEST_CASE("hygiene: a whole citizen-card session (a wrong PIN, the right one, a filing) leaves "
          "no PIN, name, ID or card number in anything the kiosk or central wrote")
{
    Session s;
    s.kiosk->send(card("insert", "citizen"));
    s.kiosk->waitFor(
        [](const json& e) { return isEvent(e, "card") && e.value("type", "") == "inserted"; });
    s.kiosk->send(tap("home.citizen_cert"));
    s.kiosk->waitFor([](const json& e) { return isEvent(e, "pin"); });
    s.kiosk->send(pin(WRONG_PIN));
    s.kiosk->send(tap("pin.confirm"));
    s.kiosk->waitFor(
        [](const json& e) { return isEvent(e, "card") && e.value("type", "") == "pin_rejected"; });
    s.kiosk->waitFor([](const json& e) { return isEvent(e, "pin"); });
    s.kiosk->send(pin(RIGHT_PIN));
    s.kiosk->send(tap("pin.confirm"));
    const auto login = s.kiosk->waitFor([](const json& e) { return isEvent(e, "login"); });
    REQUIRE(login["result"] == "ok");
    s.kiosk->waitForScreen("card_read");
    s.fillAndFile(RIGHT_PIN);
    s.kiosk->send(card("remove", "citizen"));
    s.kiosk->waitFor(
        [](const json& e) { return isEvent(e, "card") && e.value("type", "") == "removed"; });
    s.scan({ RIGHT_PIN, WRONG_PIN, NAME, ID_NUMBER, CERTIFICATE_SERIAL },
        { "kiosk.stderr", "outbox.sqlite", "outbox.sqlite-wal", "central.sqlite",
            "central.sqlite-wal", "central.sqlite-shm", "central.sqlite.central.log",
            "state/pin-failures" });
}

TEST_CASE("hygiene: a whole health-card session (the name and ID read from the card in Big5, a "
          "filing) leaves no name, ID or card number in anything the kiosk or central wrote")
{
    Session s;
    s.kiosk->send(tap("home.health_card"));
    s.kiosk->waitForScreen("insert_card");
    s.kiosk->send(card("insert", "health"));
    s.kiosk->waitFor(
        [](const json& e) { return isEvent(e, "card") && e.value("type", "") == "read"; });
    // The registration password: a wrong one first, then the right one.
    s.kiosk->waitForScreen("nhi_password");
    s.kiosk->send({ { "cmd", "password" }, { "text", WRONG_PASSWORD } });
    s.kiosk->send(tap("nhi_password.confirm"));
    s.kiosk->waitForScreen("card_login");
    s.kiosk->waitForScreen("nhi_password");
    s.kiosk->send({ { "cmd", "password" }, { "text", RIGHT_PASSWORD } });
    s.kiosk->send(tap("nhi_password.confirm"));
    s.kiosk->waitForScreen("card_read");
    s.fillAndFile();
    s.kiosk->send(card("remove", "health"));
    s.kiosk->waitFor(
        [](const json& e) { return isEvent(e, "card") && e.value("type", "") == "removed"; });
    // The scan looks for what the card holds: 林測試 as the card's Big5 bytes.
    CHECK(hex(big5(NAME), true) == "AA4CB4FAB8D5");
    s.scan({ NAME, ID_NUMBER, HEALTH_CARD_NUMBER, RIGHT_PASSWORD, WRONG_PASSWORD },
        { "kiosk.stderr", "outbox.sqlite", "outbox.sqlite-wal", "central.sqlite",
            "central.sqlite-wal", "central.sqlite-shm", "central.sqlite.central.log" });
}
