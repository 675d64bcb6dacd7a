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
    return writePng(file, width, height, rgba, PngStyle::RGBA, error);
}

namespace
{

    // libpng reports errors by longjmp, so this function holds nothing with a destructor or that
    // the optimiser could keep in a register across setjmp (-Wclobbered): the caller owns the file
    // and builds any message.
    bool writeRows(std::FILE* out, png_uint_32 width, png_uint_32 height, const std::uint8_t* rgba,
        bool compact)
    {
        png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
        png_infop info = png ? png_create_info_struct(png) : nullptr;
        if (png == nullptr || info == nullptr) {
            png_destroy_write_struct(&png, &info);
            return false;
        }
        if (setjmp(png_jmpbuf(png))) {
            png_destroy_write_struct(&png, &info);
            return false;
        }
        png_init_io(png, out);
        png_set_IHDR(png, info, width, height, 8,
            compact ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
            PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        if (compact) png_set_compression_level(png, 9);
        png_write_info(png, info);
        if (compact) png_set_filler(png, 0, PNG_FILLER_AFTER); // rows stay RGBA; alpha is dropped
        for (png_uint_32 y = 0; y < height; ++y)
            png_write_row(png, rgba + std::size_t { y } * width * 4);
        png_write_end(png, nullptr);
        png_destroy_write_struct(&png, &info);
        return true;
    }

} // namespace

bool writePng(const std::filesystem::path& file, int width, int height,
    const std::vector<std::uint8_t>& rgba, PngStyle style, std::string& error)
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
    if (!writeRows(out.get(), static_cast<png_uint_32>(width), static_cast<png_uint_32>(height),
            rgba.data(), style == PngStyle::COMPACT_RGB)) {
        error = "libpng failed writing " + file.string();
        return false;
    }
    return true;
}

} // namespace shensu::kiosk::app

namespace shensu::kiosk::app
{

bool readPng(const std::filesystem::path& file, int& width, int& height,
    std::vector<std::uint8_t>& rgba, std::string& error)
{
    png_image image {};
    image.version = PNG_IMAGE_VERSION;
    if (png_image_begin_read_from_file(&image, file.c_str()) == 0) {
        error = "cannot read " + file.string() + ": " + image.message;
        return false;
    }
    image.format = PNG_FORMAT_RGBA;
    rgba.assign(PNG_IMAGE_SIZE(image), 0);
    if (png_image_finish_read(&image, nullptr, rgba.data(), 0, nullptr) == 0) {
        error = "cannot decode " + file.string() + ": " + image.message;
        png_image_free(&image);
        return false;
    }
    width = static_cast<int>(image.width);
    height = static_cast<int>(image.height);
    return true;
}

} // namespace shensu::kiosk::app
