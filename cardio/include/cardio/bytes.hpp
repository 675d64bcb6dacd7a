// Byte strings and hex conversion shared by the card layer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shensu::cardio
{

using Bytes = std::vector<std::uint8_t>;

// "3B 8B 80" or "3b8b80" -> bytes; throws std::invalid_argument on odd length or non-hex
// characters.
Bytes fromHex(std::string_view hex);
// Upper-case hex, bytes separated by one space: "3B 8B 80".
std::string toHex(const Bytes& bytes);

} // namespace shensu::cardio
