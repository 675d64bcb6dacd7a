// The UI thread: SDL (a window, or a headless software surface), ImGui, the core's state, timers,
// input injection.
#pragma once

#include "kiosk/app/event_queue.hpp"
#include "kiosk/core/commands.hpp"
#include "kiosk/core/state.hpp"
#include "kiosk/ui/frame.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

union SDL_Event;

namespace shensu::kiosk::app
{

struct DisplayOptions {
    bool headless = false; // no video subsystem: a software renderer on a memory surface
    bool windowed = false; // a window instead of full screen
    bool software
        = false; // SDL's software renderer in the window (no GPU: ~40 MiB instead of GL's ~140)
    int width = 1280; // pixels
    int height = 800;
    // Display pixels per logical pixel: screens are laid out for 1280x800 logical pixels and
    // drawn `scale` times bigger (fonts baked bigger, so sharp). 0 = from the display's DPI
    // (never below 1280x800 logical); headless 0 = 1.
    float scale = 0;
    // Where the base font atlas is kept once built (ui::FontLoader::setCacheDir; the kiosk gives
    // its stateDir). Empty: built at every start.
    std::filesystem::path fontCacheDir {};
};

// How often characters someone typed or whose name was read were added to the font atlas: drawn
// into the texture's free space, or by rebuilding the atlas.
struct AtlasAdditions {
    int inPlace = 0;
    int rebuilt = 0;
};

class Shell
{
public:
    using CommandSink = std::function<void(const Command&)>;
    // Called after every event with the state before and after (automation prints from it).
    using Observer
        = std::function<void(const State& before, const State& after, const Event& event)>;

    // Throws std::runtime_error when SDL, the renderer or the font cannot be set up.
    Shell(const DisplayOptions& options, Catalogue catalogue, State initial);
    ~Shell();
    Shell(const Shell&) = delete;
    Shell& operator=(const Shell&) = delete;

    void setCommandSink(CommandSink sink); // workers; StartTimer is handled here
    void setObserver(Observer observer);
    void setClock(std::function<std::string()> isoNow); // stamps ConfirmFiling
    void setKeyHandler(std::function<void(int sdlKey)> handler); // windowed demo keys

    EventQueue& queue() noexcept;
    const State& state() const noexcept;
    ui::UiContext& ui() noexcept;
    // The PIN pad's locked buffer (UI thread only): the app moves it into the card worker's
    // PinHandoff on LoginWithCitizenCard and the shell wipes it on ForgetPin.
    cardio::Pin& pinPad() noexcept;
    // The health card's registration password as typed (UI thread only): the app moves it into the
    // network worker's handoff on LoginWithNhiPassword; the shell wipes it on ForgetPin and for
    // each new password screen.
    cardio::NhiPassword& nhiPassword() noexcept;
    const Catalogue& catalogue() const noexcept;

    void dispatch(Event event); // step the core, run its commands, tell the observer
    bool pump(); // dispatch everything workers posted and every timer that is due
    void frame(); // draw one frame and dispatch what the person did
    // Blocks until a worker event, a due timer or `timeout`; true if something arrived.
    bool waitForActivity(std::chrono::milliseconds timeout);

    // Input like a finger (headless): hover, press, release over three frames, then lift away.
    bool tap(const std::string& widgetId, std::string& error);
    bool type(const std::string& widgetId, const std::string& text, std::string& error);
    bool screenshot(const std::filesystem::path& png, std::string& error);
    // Renders a frame and reads it back (RGBA, 8 bits per channel, rows top to bottom).
    bool capture(std::vector<std::uint8_t>& rgba, int& width, int& height, std::string& error);

    // One SDL event as the window loop gets it: fingers (the first one drives the pointer; after
    // it lifts nothing stays hovered), a system IME's composition (SDL_TEXTEDITING[_EXT], drawn
    // at the caret) and committed text (SDL_TEXTINPUT), keys and the mouse. Tests and automation
    // feed events here too.
    void handleEvent(const SDL_Event& event);

    // The caret rectangle last given to SDL_SetTextInputRect (window coordinates; all zero when
    // no text field is being edited): where the system IME puts its candidate window.
    ui::WidgetRect textInputRect() const noexcept;
    float scale() const noexcept;
    // How long the last atlas rebuild for new characters took (rebuild + upload), 0 before one.
    double lastAtlasRebuildMs() const noexcept;
    // Since this shell started (a session's own count is logged when it ends).
    AtlasAdditions atlasAdditions() const noexcept;

    // The interactive loop (window): redraws only after input, worker events and timers. Returns
    // the exit code.
    int run();

    // SIGTERM or SIGINT arrived (SDL turns them into SDL_QUIT) while waiting for activity.
    bool quitRequested() const noexcept;

    // Milliseconds from construction to the first presented frame (fonts uploaded and CPU copies
    // freed).
    double firstFrameMs() const noexcept;
    // CPU time (every thread of the process) from its start to the first frame presented.
    double firstFrameCpuMs() const noexcept;
    // How many times the font atlas came from its cache (DisplayOptions::fontCacheDir) instead of
    // being rasterised.
    int fontCacheLoads() const noexcept;

private:
    void coverNewCharacters();
    void placeImeWindow();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "2026-11-23T10:50:57Z"
std::string isoNowUtc();

} // namespace shensu::kiosk::app
