// APDU command and response types (ISO 7816-4), pure values.
#pragma once

#include "cardio/bytes.hpp"

#include <cstdint>
#include <optional>

namespace shensu::cardio
{

struct CommandApdu {
    std::uint8_t cla = 0;
    std::uint8_t ins = 0;
    std::uint8_t p1 = 0;
    std::uint8_t p2 = 0;
    Bytes data;
    // Expected response length; std::nullopt = no Le byte, 0 = "up to 256".
    std::optional<std::uint16_t> le;

    Bytes encode() const; // short APDU encoding; throws std::length_error if data > 255
};

struct ResponseApdu {
    Bytes data;
    std::uint8_t sw1 = 0;
    std::uint8_t sw2 = 0;

    std::uint16_t sw() const noexcept { return static_cast<std::uint16_t>((sw1 << 8) | sw2); }
    bool ok() const noexcept { return sw1 == 0x90 && sw2 == 0x00; }

    // Splits "data || SW1 SW2"; throws CardError(UNEXPECTED_RESPONSE) when fewer than 2 bytes.
    static ResponseApdu parse(const Bytes& raw);
};

} // namespace shensu::cardio
