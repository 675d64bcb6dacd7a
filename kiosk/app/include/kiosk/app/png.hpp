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

// COMPACT_RGB: no alpha channel, zlib level 9 (golden images kept in the repository).
enum class PngStyle { RGBA, COMPACT_RGB };
bool writePng(const std::filesystem::path& file, int width, int height,
    const std::vector<std::uint8_t>& rgba, PngStyle style, std::string& error);

// Decodes any PNG to RGBA, 8 bits per channel.
bool readPng(const std::filesystem::path& file, int& width, int& height,
    std::vector<std::uint8_t>& rgba, std::string& error);

} // namespace shensu::kiosk::app
