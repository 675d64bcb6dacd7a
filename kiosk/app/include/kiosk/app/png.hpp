// Writing RGBA pixels to a PNG file with libpng (screenshots).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace shensu::kiosk::app
{

bool writePng(const std::filesystem::path& file, int width, int height,
    const std::vector<std::uint8_t>& rgba, std::string& error);

} // namespace shensu::kiosk::app
