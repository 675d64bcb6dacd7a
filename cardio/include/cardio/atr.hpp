// Card identification by ATR: a table of exact or masked ATRs, kept as data.
#pragma once

#include "cardio/bytes.hpp"

#include <string_view>

namespace shensu::cardio
{

enum class CardKind {
    HEALTH_CARD, // 健保卡 (NHI)
    CITIZEN_CARD, // 自然人憑證 (MOICA, or the simulator's PIV stand-in)
    UNKNOWN,
};

const char* toString(CardKind kind) noexcept;

CardKind identifyCard(const Bytes& atr);

} // namespace shensu::cardio
