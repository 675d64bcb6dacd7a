// The UI thread's machinery: SDL + ImGui set-up, one frame, the event-driven loop, timers,
// finger-like input.
#include "kiosk/app/shell.hpp"

#include "kiosk/app/png.hpp"
#include "kiosk/core/step.hpp"
#include "kiosk/ui/fonts.hpp"

#include <cfloat>
#include <ctime>
#include <iostream>
#include <stdexcept>

#include <SDL.h>
#include <imgui.h>
#include <imgui_impl_sdl.h>
#include <imgui_impl_sdlrenderer.h>
#include <malloc.h>

namespace shensu::kiosk::app
{

using Clock = std::chrono::steady_clock;

std::string isoNowUtc()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm {};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

namespace
{

    struct PendingTimer {
        Clock::time_point due;
        TimerExpired event;
    };

    std::vector<std::string> uiTexts(const Catalogue& catalogue)
    {
        return catalogue.allTexts();
    }

} // namespace

struct Shell::Impl {
    DisplayOptions options;
    Catalogue catalogue;
    State state;
    ui::UiContext ui;
    cardio::Pin pinPad; // the PIN pad's digits: locked, wiped; see ui::UiContext::pinPad
    std::unique_ptr<ui::FontLoader> fonts;
    std::unique_ptr<EventQueue> queue;
    CommandSink sink;
    Observer observer;
    std::function<std::string()> clock = isoNowUtc;
    std::function<void(int)> keyHandler;
    std::vector<PendingTimer> timers;

    SDL_Window* window = nullptr;
    SDL_Surface* surface = nullptr;
    SDL_Renderer* renderer = nullptr;
    bool platformBackend = false;
    bool rendererBackend = false;
    bool fontsReleased = false;
    bool textInputOn = false;
    bool fingerLifted = false;
    bool quitRequested = false;
    Clock::time_point started = Clock::now();
    double firstFrameMs = 0;

    void runCommand(const Command& c)
    {
        if (std::holds_alternative<ForgetPin>(c)) pinPad.wipe(); // and the sink clears the handoff
        if (const auto* t = std::get_if<StartTimer>(&c)) {
            std::erase_if(timers, [&](const PendingTimer& p) { return p.event.timer == t->timer; });
            timers.push_back({ Clock::now() + t->after, TimerExpired { t->timer, t->generation } });
        } else if (sink) {
            sink(c);
        } else {
            // No worker wired (tests without one): a store can never succeed, so say so.
            if (std::holds_alternative<StoreFiling>(c)
                || std::holds_alternative<SignAndStoreFiling>(c))
                queue->post(FilingStoreFailed { "no network worker" });
        }
    }
};

Shell::Shell(const DisplayOptions& options, Catalogue catalogue, State initial)
    : impl_(std::make_unique<Impl>())
{
    Impl& d = *impl_;
    d.options = options;
    d.catalogue = std::move(catalogue);
    d.state = std::move(initial);

    const Uint32 subsystems
        = options.headless ? (SDL_INIT_EVENTS | SDL_INIT_TIMER) : (SDL_INIT_VIDEO | SDL_INIT_TIMER);
    // SDL must not fall back to a GL context just to probe "framebuffer acceleration" (+80 MiB,
    // +270 ms).
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    SDL_SetHint(SDL_HINT_IME_SHOW_UI, "1");
    if (SDL_Init(subsystems) != 0)
        throw std::runtime_error(std::string("SDL_Init: ") + SDL_GetError());
    d.queue = std::make_unique<EventQueue>();

    if (options.headless) {
        d.surface = SDL_CreateRGBSurfaceWithFormat(
            0, options.width, options.height, 32, SDL_PIXELFORMAT_ARGB8888);
        if (d.surface == nullptr)
            throw std::runtime_error(std::string("surface: ") + SDL_GetError());
        d.renderer = SDL_CreateSoftwareRenderer(d.surface);
    } else {
        const Uint32 flags = options.windowed ? SDL_WINDOW_SHOWN
                                              : (SDL_WINDOW_FULLSCREEN_DESKTOP | SDL_WINDOW_SHOWN);
        d.window = SDL_CreateWindow("Shensu", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED,
            options.width, options.height, flags);
        if (d.window == nullptr)
            throw std::runtime_error(std::string("SDL_CreateWindow: ") + SDL_GetError());
        if (!options.software) {
            d.renderer = SDL_CreateRenderer(
                d.window, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
        }
        if (d.renderer == nullptr)
            d.renderer = SDL_CreateRenderer(d.window, -1, SDL_RENDERER_SOFTWARE);
        SDL_ShowCursor(SDL_DISABLE);
        SDL_StopTextInput(); // started only while a text field is active
    }
    if (d.renderer == nullptr) throw std::runtime_error(std::string("renderer: ") + SDL_GetError());

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ui::applyTheme();
    ImGuiIO& io = ImGui::GetIO();
    if (options.headless) {
        io.DisplaySize
            = ImVec2(static_cast<float>(options.width), static_cast<float>(options.height));
        io.MouseDoubleClickTime = 0.0f; // scripted taps on one field must never select a word
        io.KeyMap[ImGuiKey_End] = SDL_SCANCODE_END;
        io.KeyMap[ImGuiKey_Home] = SDL_SCANCODE_HOME;
    }
    d.fonts = std::make_unique<ui::FontLoader>(ui::FontOptions {}, uiTexts(d.catalogue));
    d.ui.fonts = d.fonts->addTo(*io.Fonts);
    d.ui.catalogue = &d.catalogue;
    d.ui.pinPad = &d.pinPad;

    if (!options.headless) d.platformBackend = ImGui_ImplSDL2_InitForSDLRenderer(d.window);
    d.rendererBackend = ImGui_ImplSDLRenderer_Init(d.renderer);
    if (!d.rendererBackend)
        throw std::runtime_error("ImGui SDL_Renderer backend failed to initialise");
}

Shell::~Shell()
{
    Impl& d = *impl_;
    if (d.rendererBackend) ImGui_ImplSDLRenderer_Shutdown();
    if (d.platformBackend) ImGui_ImplSDL2_Shutdown();
    ImGui::DestroyContext();
    if (d.renderer != nullptr) SDL_DestroyRenderer(d.renderer);
    if (d.surface != nullptr) SDL_FreeSurface(d.surface);
    if (d.window != nullptr) SDL_DestroyWindow(d.window);
    d.queue.reset();
    SDL_Quit();
}

void Shell::setCommandSink(CommandSink sink)
{
    impl_->sink = std::move(sink);
}
void Shell::setObserver(Observer observer)
{
    impl_->observer = std::move(observer);
}
void Shell::setClock(std::function<std::string()> isoNow)
{
    impl_->clock = std::move(isoNow);
}
void Shell::setKeyHandler(std::function<void(int)> handler)
{
    impl_->keyHandler = std::move(handler);
}
EventQueue& Shell::queue() noexcept
{
    return *impl_->queue;
}
const State& Shell::state() const noexcept
{
    return impl_->state;
}
cardio::Pin& Shell::pinPad() noexcept
{
    return impl_->pinPad;
}
ui::UiContext& Shell::ui() noexcept
{
    return impl_->ui;
}
const Catalogue& Shell::catalogue() const noexcept
{
    return impl_->catalogue;
}
double Shell::firstFrameMs() const noexcept
{
    return impl_->firstFrameMs;
}
bool Shell::quitRequested() const noexcept
{
    return impl_->quitRequested;
}

void Shell::dispatch(Event event)
{
    Impl& d = *impl_;
    if (auto* confirm = std::get_if<ConfirmFiling>(&event);
        confirm != nullptr && confirm->createdAt.empty()) {
        confirm->createdAt = d.clock();
    }
    auto result = step(d.state, event);
    State before = std::move(d.state);
    d.state = std::move(result.state);
    // A session ended, or its answers were sealed: ImGui's copies of what was typed go too.
    if (before.screen != d.state.screen
        && (d.state.screen == Screen::HOME || d.state.screen == Screen::SUBMITTING))
        ui::wipeSession(d.ui);
    if (before.screen != d.state.screen)
        std::clog << "kiosk: screen " << screenId(d.state.screen) << '\n';
    ui::preparePinPad(d.ui, d.state);
    if (d.observer) d.observer(before, d.state, event);
    for (const auto& c : result.commands)
        d.runCommand(c);
}

bool Shell::pump()
{
    Impl& d = *impl_;
    bool any = false;
    for (auto& e : d.queue->drain()) {
        dispatch(std::move(e));
        any = true;
    }
    const auto now = Clock::now();
    for (std::size_t i = 0; i < d.timers.size();) {
        if (d.timers[i].due <= now) {
            const auto event = d.timers[i].event;
            d.timers.erase(d.timers.begin() + static_cast<std::ptrdiff_t>(i));
            dispatch(event);
            any = true;
        } else {
            ++i;
        }
    }
    return any;
}

bool Shell::waitForActivity(std::chrono::milliseconds timeout)
{
    Impl& d = *impl_;
    auto limit = timeout;
    const auto now = Clock::now();
    for (const auto& t : d.timers) {
        limit = std::min(limit,
            std::chrono::duration_cast<std::chrono::milliseconds>(t.due - now)
                + std::chrono::milliseconds(1));
    }
    if (limit.count() < 0) limit = std::chrono::milliseconds(0);
    SDL_Event e;
    if (SDL_WaitEventTimeout(&e, static_cast<int>(limit.count())) != 0) {
        do {
            if (e.type == SDL_QUIT)
                d.quitRequested = true; // SIGTERM / SIGINT, through SDL's handlers
        } while (SDL_PollEvent(&e) != 0);
    }
    return pump();
}

void Shell::frame()
{
    Impl& d = *impl_;
    ImGuiIO& io = ImGui::GetIO();
    coverNewCharacters();
    ImGui_ImplSDLRenderer_NewFrame();
    if (d.platformBackend) {
        ImGui_ImplSDL2_NewFrame();
        // After a finger lifts, nothing may stay "hovered" under the last touch point.
        if (d.fingerLifted && !io.MouseDown[0]) io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    } else {
        io.DeltaTime = 1.0f / 60.0f; // deterministic headless frames
    }
    ImGui::NewFrame();
    auto events = ui::drawFrame(d.state, d.ui);
    ImGui::Render();
    SDL_SetRenderDrawColor(d.renderer, 247, 247, 242, 255);
    SDL_RenderClear(d.renderer);
    ImGui_ImplSDLRenderer_RenderDrawData(ImGui::GetDrawData());
    SDL_RenderPresent(d.renderer);
    if (!d.fontsReleased) {
        d.fonts->releaseAfterUpload(*io.Fonts); // the texture is on the renderer now
        malloc_trim(0); // hand the atlas build's scratch (~60 MiB of freed heap) back to the system
        d.fontsReleased = true;
        d.firstFrameMs
            = std::chrono::duration<double, std::milli>(Clock::now() - d.started).count();
        std::clog << "kiosk: first frame after " << static_cast<int>(d.firstFrameMs)
                  << " ms, font atlas " << io.Fonts->TexWidth << "x" << io.Fonts->TexHeight << ", "
                  << d.fonts->bodyGlyphCount() << " body glyphs\n";
    }
    if (d.platformBackend && io.WantTextInput != d.textInputOn) {
        d.textInputOn = io.WantTextInput;
        if (d.textInputOn) {
            SDL_StartTextInput();
        } else {
            SDL_StopTextInput();
        }
    }
    for (auto& e : events)
        dispatch(std::move(e));
}

void Shell::coverNewCharacters()
{
    Impl& d = *impl_;
    if (!d.fontsReleased)
        return; // the first build already has everything the catalogue and form need
    ImGuiIO& fontIo = ImGui::GetIO();
    const float scale = d.state.largeText ? ui::FontOptions {}.largeScale : 1.0f;
    if (d.fonts->rescale(*fontIo.Fonts, d.ui.fonts, scale)) {
        ImGui_ImplSDLRenderer_DestroyFontsTexture();
        ImGui_ImplSDLRenderer_CreateFontsTexture();
        d.fonts->releaseAfterUpload(*fontIo.Fonts);
        malloc_trim(0);
        std::clog << "kiosk: font atlas rebuilt for " << (d.state.largeText ? "large" : "normal")
                  << " text\n";
    }
    std::vector<std::string> typed { d.state.cardHolderName };
    for (const auto& [id, value] : d.state.answers)
        typed.push_back(value);
    ImGuiIO& io = ImGui::GetIO();
    if (!d.fonts->coverMissing(*io.Fonts, d.ui.fonts, typed, { d.state.cardHolderName })) return;
    // A name with a rarer character (Big5 level 2 and beyond): rebuild the atlas once with it,
    // re-upload.
    ImGui_ImplSDLRenderer_DestroyFontsTexture();
    ImGui_ImplSDLRenderer_CreateFontsTexture();
    d.fonts->releaseAfterUpload(*io.Fonts);
    malloc_trim(0);
    std::clog << "kiosk: font atlas rebuilt for new characters\n";
}

bool Shell::tap(const std::string& widgetId, std::string& error)
{
    Impl& d = *impl_;
    ImGuiIO& io = ImGui::GetIO();
    frame(); // the registry must describe what is on screen now
    const auto* rect = d.ui.widgets.find(widgetId);
    if (rect != nullptr && !rect->visible) {
        d.ui.scrollTo = widgetId;
        frame();
        frame();
        rect = d.ui.widgets.find(widgetId);
    }
    if (rect == nullptr) {
        error = "no widget \"" + widgetId + "\" on screen " + screenId(d.state.screen);
        return false;
    }
    if (!rect->visible) {
        error = "widget \"" + widgetId + "\" cannot be scrolled into view";
        return false;
    }
    io.MousePos = ImVec2(rect->centerX(), rect->centerY());
    io.MouseDown[0] = false;
    frame();
    io.MouseDown[0] = true;
    frame();
    io.MouseDown[0] = false;
    frame();
    io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    frame();
    return true;
}

bool Shell::type(const std::string& widgetId, const std::string& text, std::string& error)
{
    if (!tap(widgetId, error)) return false;
    ImGuiIO& io = ImGui::GetIO();
    // A wrapped text view turns into its editor, which takes the keyboard focus, over the next
    // frames.
    for (int i = 0; i < 3 && !io.WantTextInput; ++i)
        frame();
    if (!io.WantTextInput) {
        error = "widget \"" + widgetId + "\" is not a text field";
        return false;
    }
    // Ctrl+End: the text goes after what is already there, wherever the finger landed.
    io.KeyCtrl = true;
    io.KeysDown[SDL_SCANCODE_END] = true;
    frame();
    io.KeysDown[SDL_SCANCODE_END] = false;
    io.KeyCtrl = false;
    frame();
    io.AddInputCharactersUTF8(text.c_str());
    frame();
    frame();
    return true;
}

bool Shell::capture(std::vector<std::uint8_t>& rgba, int& width, int& height, std::string& error)
{
    Impl& d = *impl_;
    frame();
    if (SDL_GetRendererOutputSize(d.renderer, &width, &height) != 0) {
        error = SDL_GetError();
        return false;
    }
    rgba.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 4, 0);
    if (SDL_RenderReadPixels(d.renderer, nullptr, SDL_PIXELFORMAT_ABGR8888, rgba.data(), width * 4)
        != 0) {
        error = std::string("SDL_RenderReadPixels: ") + SDL_GetError();
        return false;
    }
    return true;
}

bool Shell::screenshot(const std::filesystem::path& png, std::string& error)
{
    std::vector<std::uint8_t> pixels;
    int w = 0;
    int h = 0;
    if (!capture(pixels, w, h, error)) return false;
    return writePng(png, w, h, pixels, error);
}

int Shell::run()
{
    Impl& d = *impl_;
    int framesToDraw = 2;
    bool quit = false;
    // Only these drivers implement a real blocking wait; with others (offscreen, kmsdrm, dummy)
    // SDL's WaitEventTimeout falls back to polling with 1 ms sleeps, ~1.5 % of a core for an idle
    // kiosk.
    const std::string driver
        = SDL_GetCurrentVideoDriver() != nullptr ? SDL_GetCurrentVideoDriver() : "";
    const bool sdlCanBlock = driver == "x11" || driver == "wayland";
    while (!quit) {
        // Idle means asleep: wait for input, a worker event or the next timer; draw a few frames
        // after each so ImGui settles hover and active states (ARCHITECTURE §3: ~0 % CPU when
        // nobody touches the kiosk).
        auto timeout = std::chrono::milliseconds(framesToDraw > 0 ? 0 : 60000);
        const auto now = Clock::now();
        for (const auto& t : d.timers) {
            timeout = std::min(timeout,
                std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(t.due - now)
                        + std::chrono::milliseconds(1)));
        }
        SDL_Event e;
        bool gotEvent = false;
        if (sdlCanBlock) {
            gotEvent = SDL_WaitEventTimeout(&e, static_cast<int>(timeout.count())) != 0;
        } else {
            // SDL would poll every millisecond here; check input at 50 Hz and wake at once for
            // workers instead.
            gotEvent = SDL_PollEvent(&e) != 0;
            if (!gotEvent && timeout.count() > 0) {
                d.queue->waitFor(std::min(timeout, std::chrono::milliseconds(20)));
                gotEvent = SDL_PollEvent(&e) != 0;
            }
        }
        while (gotEvent) {
            if (e.type == SDL_QUIT) quit = true;
            if (e.type == SDL_FINGERUP) d.fingerLifted = true;
            if (e.type == SDL_FINGERDOWN) d.fingerLifted = false;
            if (e.type == SDL_MOUSEMOTION && e.motion.which != SDL_TOUCH_MOUSEID)
                d.fingerLifted = false;
            if (e.type == SDL_KEYDOWN && d.keyHandler) d.keyHandler(e.key.keysym.sym);
            if (e.type != d.queue->wakeEventType()) ImGui_ImplSDL2_ProcessEvent(&e);
            framesToDraw = 3;
            gotEvent = SDL_PollEvent(&e) != 0;
        }
        if (pump()) framesToDraw = 3;
        if (framesToDraw > 0) {
            const Screen before = d.state.screen;
            frame();
            --framesToDraw;
            if (d.state.screen != before) framesToDraw = 3;
        }
    }
    return 0;
}

} // namespace shensu::kiosk::app
