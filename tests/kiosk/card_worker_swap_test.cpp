// The kiosk's card worker (kiosk/app/src/workers.cpp) against stock OpenSC, a real pcscd and the
// simulated citizen cards: the PIN goes only to the card whose tries were read. The swaps here are
// made while the UI thread has not seen them (nothing drains the event queue in between), which is
// the race a live kiosk can hit: the monitor's CardRemoved queued behind central's challenge, or a
// card swapped while the PKCS#11 module loads.
#include "control_client.hpp"
#include "process.hpp"
#include "workers.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

using namespace shensu::kiosk;
using namespace shensu::kiosk::app;
using nlohmann::json;
using shensu::cardio::CardErrorCode;

namespace
{

constexpr const char* READER = "Virtual PCD 00 00";

std::string env(const char* name)
{
    const char* value = std::getenv(name);
    REQUIRE(value != nullptr);
    return value;
}

void control(const std::string& line)
{
    const std::string reply = shensu::cardsim::askControl(env("SHENSU_CARDSIM_CTL"), line);
    REQUIRE(reply.rfind("ok", 0) == 0);
}

// VERIFY commands that carried a PIN, whatever the card did with them.
int pinVerifies()
{
    std::ifstream in(env("SHENSU_CARDSIM_LOG"));
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        const auto entry = json::parse(line, nullptr, false);
        if (entry.is_discarded() || entry.value("ins", "") != "VERIFY") continue;
        REQUIRE(entry.contains("withPin"));
        if (entry.value("withPin", false)) ++n;
    }
    return n;
}

// Waits for the first event of type T (others are dropped); fails after 20 s.
template<typename T> T next(EventQueue& queue)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
        for (auto& e : queue.drain()) {
            if (auto* t = std::get_if<T>(&e)) return std::move(*t);
            if (const auto* f = std::get_if<CardReadFailed>(&e))
                FAIL("card worker: " << shensu::cardio::toString(f->code));
        }
        queue.waitFor(std::chrono::milliseconds(50));
    }
    FAIL("no event in time");
    return {};
}

CardReadFailed nextFailure(EventQueue& queue)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
        for (auto& e : queue.drain()) {
            if (auto* f = std::get_if<CardReadFailed>(&e)) return *f;
            if (std::holds_alternative<CitizenCardSigned>(e)) FAIL("the swapped card signed");
            if (std::holds_alternative<PinRejected>(e)) FAIL("the swapped card got the PIN");
        }
        queue.waitFor(std::chrono::milliseconds(50));
    }
    FAIL("no failure in time");
    return {};
}

// The monitor has seen the card in the reader (and counted the insertion).
void waitForInsert(EventQueue& queue)
{
    const auto inserted = next<CardInserted>(queue);
    REQUIRE(inserted.reader == READER);
}

void putPin(CardWorker& cards, const char* digits)
{
    shensu::cardio::Pin pad;
    for (const char* d = digits; *d; ++d)
        pad.push(*d);
    cards.handoff().put(pad);
}

LoginWithCitizenCard loginFor(const CitizenCardReady& ready)
{
    return { ready.reader, "c-1", "bm9uY2U=", false, ready.tokenSerial, ready.insertion };
}

} // namespace

TEST_CASE("a citizen card swapped for another after its tries were read gets no PIN, the card "
          "read is asked once when it is still there",
    "[swap]")
{
    EventQueue queue;
    shensu::testing::TempDir state;
    CardWorker cards(queue, { {}, state.path() });
    waitForInsert(queue);
    cards.readCitizen(READER);
    const auto first = next<CitizenCardReady>(queue);
    CHECK(!first.tokenSerial.empty());

    // Swapped, and the UI thread has not run: the login still names the first card.
    control("remove 0");
    CHECK(next<CardRemoved>(queue).reader == READER); // pcscd polls: the next card after this
    control("insert citizen-departed 0");
    waitForInsert(queue);
    putPin(cards, "123456");
    cards.loginAndSign(loginFor(first));
    CHECK(nextFailure(queue).code == CardErrorCode::CARD_REMOVED);
    CHECK(pinVerifies() == 0);
    shensu::cardio::Pin left;
    CHECK(!cards.handoff().take(left)); // the PIN was wiped, not left for a later job

    // The other card's serial with the current insert count (as if the swap happened while the
    // module loaded): still refused, on the serial.
    cards.readCitizen(READER);
    const auto second = next<CitizenCardReady>(queue);
    CHECK(second.tokenSerial != first.tokenSerial);
    CHECK(second.insertion != first.insertion);
    auto stale = loginFor(second);
    stale.tokenSerial = first.tokenSerial;
    putPin(cards, "123456");
    cards.loginAndSign(stale);
    CHECK(nextFailure(queue).code == CardErrorCode::CARD_REMOVED);
    CHECK(pinVerifies() == 0);

    // The card that was read, still in the reader: one PIN, one VERIFY.
    putPin(cards, "123456");
    cards.loginAndSign(loginFor(second));
    next<CitizenCardSigned>(queue);
    CHECK(pinVerifies() == 1);
}
