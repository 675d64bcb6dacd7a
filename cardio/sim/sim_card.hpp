// What a simulated card is: an ATR and an answer per command APDU. One small class per card kind.
#pragma once

#include "cardio/bytes.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shensu::cardsim
{

using cardio::Bytes;

// How one answered command goes into the APDU log.
struct LogEntry {
    Bytes command; // as logged (a card may mask secrets in it)
    std::string extra; // more JSON members, each with a leading comma, e.g. ,"ins":"VERIFY"
};

class SimCard
{
public:
    virtual ~SimCard() = default;
    virtual Bytes atr() const = 0;
    // The response APDU (data || SW1 SW2); std::nullopt = the card leaves the reader instead of
    // answering.
    virtual std::optional<Bytes> answer(const Bytes& command) = 0;
    // Power off/on or warm reset: volatile state (current selection, PIN verified) is lost;
    // counters stay.
    virtual void reset() { }
    // The log entry for the command answer() just handled; default: as sent, nothing extra.
    virtual LogEntry logEntry(const Bytes& command) const { return { command, {} }; }
};

// The card kinds the simulator knows (contract 1); nullptr for an unknown kind. Throws
// std::runtime_error when a known kind cannot be made (a citizen variant without its test PKI).
// To add a card (e.g. the PIV citizen card): one SimCard subclass in its own file and one line in
// makeCard().
std::unique_ptr<SimCard> makeCard(std::string_view kind);

} // namespace shensu::cardsim
