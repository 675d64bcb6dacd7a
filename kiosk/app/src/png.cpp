// PNG writing through libpng, for screenshots.
#include "kiosk/app/png.hpp"

#include <cstdio>
#include <memory>

#include <png.h>

namespace shensu::kiosk::app
{

bool writePng(const std::filesystem::path& file, int width, int height,
    const std::vector<std::uint8_t>& rgba, std::string& error)
{
    if (width <= 0 || height <= 0
        || rgba.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4) {
        error = "bad image size";
        return false;
    }
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> out(
        std::fopen(file.c_str(), "wb"), &std::fclose);
    if (!out) {
        error = "cannot write " + file.string();
        return false;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (png == nullptr || info == nullptr) {
        png_destroy_write_struct(&png, &info);
        error = "libpng initialisation failed";
        return false;
    }
    // libpng reports errors by longjmp; nothing with a destructor lives between here and the end.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        error = "libpng failed writing " + file.string();
        return false;
    }
    png_init_io(png, out.get());
    png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
        PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
        PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const auto stride = static_cast<std::size_t>(width) * 4;
    for (int y = 0; y < height; ++y) {
        png_write_row(png, rgba.data() + static_cast<std::size_t>(y) * stride);
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return true;
}

} // namespace shensu::kiosk::app
