// The PIN type and its handoff: digits only, never printed, wiped when moved or destroyed; the
// tries-left rule; the durable per-card failure counter.
#include "cardio/pin.hpp"
#include "cardio/pkcs11.hpp"
#include "pkcs11_codes.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include <unistd.h>

using namespace shensu::cardio;

namespace
{
bool allZero(const Pin& pin)
{
    for (std::size_t i = 0; i < Pin::CAPACITY; ++i)
        if (pin.data()[i] != 0) return false;
    return true;
}
} // namespace

TEST_CASE("a PIN takes digits only, up to its capacity, and prints as ***", "[pin]")
{
    Pin pin;
    CHECK(pin.push('1'));
    CHECK(pin.push('2'));
    CHECK(!pin.push('a'));
    CHECK(!pin.push('\0'));
    CHECK(pin.size() == 2);
    std::ostringstream out;
    out << pin;
    CHECK(out.str() == "***");
    CHECK(fmt::format("{}", pin) == "***");
    for (int i = 0; i < 20; ++i)
        pin.push('9');
    CHECK(pin.size() == Pin::CAPACITY);
    pin.pop();
    CHECK(pin.size() == Pin::CAPACITY - 1);
    pin.wipe();
    CHECK(pin.empty());
    CHECK(allZero(pin));
}

TEST_CASE(
    "a PIN handed off leaves nothing behind in the pad, and the slot is empty once taken", "[pin]")
{
    Pin pad;
    for (const char c : std::string("123456"))
        pad.push(c);
    PinHandoff handoff;
    handoff.put(pad);
    CHECK(pad.empty());
    CHECK(allZero(pad));
    Pin worker;
    REQUIRE(handoff.take(worker));
    CHECK(worker.size() == 6);
    CHECK(std::string(reinterpret_cast<const char*>(worker.data()), 6) == "123456");
    Pin again;
    CHECK(!handoff.take(again)); // one PIN, one card call
    handoff.put(worker);
    handoff.clear();
    CHECK(!handoff.take(again));
}

TEST_CASE("a registration password takes printable ASCII without spaces, up to its capacity, goes "
          "through "
          "its handoff like a PIN and prints as ***",
    "[pin]")
{
    NhiPassword typed;
    for (const char c : std::string("Ab3$~!"))
        CHECK(typed.push(c));
    CHECK(!typed.push(' '));
    CHECK(!typed.push('\t'));
    CHECK(!typed.push('\xE5')); // a UTF-8 lead byte: no CJK in a registration password
    CHECK(typed.size() == 6);
    std::ostringstream out;
    out << typed;
    CHECK(out.str() == "***");
    CHECK(fmt::format("{}", typed) == "***");
    for (int i = 0; i < 20; ++i)
        typed.push('x');
    CHECK(typed.size() == NhiPassword::CAPACITY);
    NhiPasswordHandoff handoff;
    handoff.put(typed);
    CHECK(typed.empty());
    for (std::size_t i = 0; i < NhiPassword::CAPACITY; ++i)
        CHECK(typed.data()[i] == 0);
    NhiPassword worker;
    REQUIRE(handoff.take(worker));
    CHECK(std::string(reinterpret_cast<const char*>(worker.data()), 6) == "Ab3$~!");
    CHECK(!handoff.take(worker));
}

TEST_CASE("tries left: the token's flags where set, else 3 minus the kiosk's count, a silent "
          "token after the kiosk's third failure is blocked, a speaking one never without LOCKED",
    "[pin]")
{
    CHECK(pinTries({}, 0).left == 3);
    CHECK(pinTries({}, 1).left == 2);
    CHECK(pinTries({}, 2).left == 1);
    CHECK(!pinTries({}, 2).blocked);
    // A module that reports no tries (HiCOS may set no flag): no fourth PIN after three failures.
    CHECK(pinTries({}, 3).blocked);
    CHECK(pinTries({}, 3).left == 0);
    CHECK(pinTries({}, 7).blocked);
    // A token that says it still has a try is believed (it may allow more than three).
    CHECK(!pinTries({ false, true, false }, 3).blocked);
    CHECK(pinTries({ false, true, false }, 3).left == 1);
    CHECK(!pinTries({ true, false, false }, 4).blocked);
    CHECK(pinTries({ true, false, false }, 4).left == 1);
    CHECK(pinTries({ true, false, false }, 0).left == 2);
    CHECK(pinTries({ false, true, false }, 0).left == 1);
    CHECK(pinTries({ false, false, true }, 0).blocked);
    CHECK(pinTries({ false, false, true }, 0).left == 0);
}

TEST_CASE(
    "the failure counter survives a restart, keys cards by a hash and forgets on success", "[pin]")
{
    const auto file = std::filesystem::temp_directory_path()
        / ("shensu-pin-failures-" + std::to_string(::getpid()));
    std::filesystem::remove(file);
    {
        PinFailureCounter counter(file);
        counter.recordFailure("0000001123456780");
        counter.recordFailure("0000001123456780");
        counter.recordFailure("OTHER-CARD");
    }
    PinFailureCounter reloaded(file);
    CHECK(reloaded.failures("0000001123456780") == 2);
    CHECK(reloaded.failures("OTHER-CARD") == 1);
    CHECK(reloaded.failures("NEVER-SEEN") == 0);
    std::ifstream in(file);
    std::string text;
    for (std::string line; std::getline(in, line);)
        text += line + '\n';
    CHECK(text.find("0000001123456780") == std::string::npos); // the serial is not on disk
    reloaded.recordSuccess("0000001123456780");
    CHECK(PinFailureCounter(file).failures("0000001123456780") == 0);
    std::filesystem::remove(file);
    std::filesystem::remove(file.string() + ".key");
}

TEST_CASE("the failure counter's keys are an HMAC under a per-kiosk secret (0600), serial-less "
          "tokens are not counted, and entries age out",
    "[pin]")
{
    const auto dir = std::filesystem::temp_directory_path()
        / ("shensu-pin-counter-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "a");
    std::filesystem::create_directories(dir / "b");
    PinFailureCounter a(dir / "a" / "pin-failures");
    PinFailureCounter b(dir / "b" / "pin-failures");
    // Two kiosks key the same card differently: their files cannot be linked without the secrets.
    CHECK(a.keyFor("0000001123456780") != b.keyFor("0000001123456780"));
    CHECK(a.keyFor("0000001123456780")
        == PinFailureCounter(dir / "a" / "pin-failures").keyFor("0000001123456780"));
    const auto perms = std::filesystem::status(dir / "a" / "pin-failures.key").permissions();
    CHECK((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all))
        == std::filesystem::perms::none);

    a.recordFailure("");
    a.recordFailure("");
    CHECK(a.failures("") == 0);
    CHECK(!std::filesystem::exists(dir / "a" / "pin-failures"));

    // An entry whose last failure is older than MAX_AGE is gone on load.
    a.recordFailure("OLD-CARD");
    const std::string key = a.keyFor("OLD-CARD");
    {
        std::ofstream out(dir / "a" / "pin-failures");
        const auto old = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch() - PinFailureCounter::MAX_AGE
            - std::chrono::hours(1));
        out << key << " 3 " << old.count() << '\n';
    }
    CHECK(PinFailureCounter(dir / "a" / "pin-failures").failures("OLD-CARD") == 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("PKCS#11 PIN answers: an expired PIN is not a blocked card, an invalid one not a wrong "
          "one (neither is counted as a spent try)",
    "[pin]")
{
    // PKCS#11 v2.40 values (the header is the module's business, not the tests').
    constexpr unsigned long CKR_PIN_INCORRECT = 0xA0, CKR_PIN_INVALID = 0xA1,
                            CKR_PIN_LEN_RANGE = 0xA2, CKR_PIN_EXPIRED = 0xA3, CKR_PIN_LOCKED = 0xA4;
    CHECK(cardErrorForCkr(CKR_PIN_INCORRECT) == CardErrorCode::PIN_INCORRECT);
    CHECK(cardErrorForCkr(CKR_PIN_LOCKED) == CardErrorCode::PIN_LOCKED);
    CHECK(cardErrorForCkr(CKR_PIN_EXPIRED) == CardErrorCode::PIN_EXPIRED);
    CHECK(cardErrorForCkr(CKR_PIN_INVALID) == CardErrorCode::PIN_INVALID);
    CHECK(cardErrorForCkr(CKR_PIN_LEN_RANGE) == CardErrorCode::PIN_LEN_RANGE);
    CHECK(cardErrorForCkr(0x7fffffffUL) == CardErrorCode::INTERNAL);
}

TEST_CASE("password handoff: a job of another attempt or card cannot take the password", "[pin]")
{
    NhiPassword typed;
    for (const char c : std::string("Next1234"))
        typed.push(c);
    NhiPasswordHandoff handoff;
    handoff.put(typed, 7, "000087654321");
    NhiPassword stale;
    CHECK(!handoff.take(stale, 6, "000012345678")); // the person before's queued job
    CHECK(!handoff.take(stale, 6, "000087654321"));
    CHECK(!handoff.take(stale, 7, "000012345678"));
    CHECK(stale.empty());
    NhiPassword own;
    REQUIRE(handoff.take(own, 7, "000087654321"));
    CHECK(own.size() == 8);
}
