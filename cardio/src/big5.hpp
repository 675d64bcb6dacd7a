// Big5 → UTF-8 through iconv, wrapped once (RAII descriptor, one place for its errors).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shensu::cardio::detail
{

// Converts Big5 text (Taiwan's HKSCS superset first, then Microsoft's CP950) to UTF-8;
// std::nullopt when the bytes are not valid Big5 in either; CardError(INTERNAL) when iconv has
// neither.
std::optional<std::string> big5ToUtf8(std::string_view big5);

} // namespace shensu::cardio::detail
