// RAII over PC/SC: one context, one card connection. Every SCard* call goes through one choke point
// (src/pcsc_call.hpp) that turns return codes into CardError.
#pragma once

#include "cardio/apdu.hpp"
#include "cardio/bytes.hpp"
#include "cardio/pin_pad.hpp"
#include "cardio/transport.hpp"

#include <memory>
#include <string>
#include <vector>

namespace shensu::cardio
{

class Context
{
public:
    Context(); // SCardEstablishContext; throws CardError(SERVICE_UNAVAILABLE)
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    std::vector<std::string> readers() const; // empty when none (never throws NO_READERS)

    struct Impl;
    Impl& impl() const { return *impl_; }

private:
    std::unique_ptr<Impl> impl_;
};

class CardConnection : public CardTransport, public ReaderControl
{
public:
    // SCardConnect in shared mode, T=0 or T=1; throws CardError (NO_CARD, CARD_REMOVED, ...).
    CardConnection(Context& context, const std::string& reader);
    ~CardConnection() override; // SCardDisconnect(SCARD_LEAVE_CARD)
    CardConnection(const CardConnection&) = delete;
    CardConnection& operator=(const CardConnection&) = delete;

    const Bytes& atr() const noexcept;
    const std::string& reader() const noexcept;

    // Sends one command; follows 61xx with GET RESPONSE and resends on 6Cxx with the right Le.
    ResponseApdu transmit(const CommandApdu& command) override;

    // After CARD_REMOVED or CARD_RESET the handle stays dead until this: SCardReconnect with a warm
    // reset (a card must be in the reader again); refreshes atr(). Throws CardError (NO_CARD while
    // the reader is empty).
    void reconnect();

    // SCardControl on this connection (PC/SC part 10 features of PIN-pad readers).
    Bytes control(std::uint32_t code, const Bytes& in) override;

private:
    void readAtr();
    [[noreturn]] void noStatusWord(unsigned long length) const;

    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace shensu::cardio
