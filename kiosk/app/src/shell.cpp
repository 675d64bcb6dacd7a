// The UI thread's machinery: SDL + ImGui set-up, one frame, the event-driven loop, timers,
// finger-like input.
#include "kiosk/app/shell.hpp"

#include "kiosk/app/png.hpp"
#include "kiosk/core/step.hpp"
#include "kiosk/ui/fonts.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <ctime>
#include <deque>
#include <iostream>
#include <stdexcept>

#include <SDL.h>
#include <imgui.h>
#include <imgui_impl_sdl.h>
#include <imgui_impl_sdlrenderer.h>
#include <imgui_internal.h> // the active text field's caret (PlatformImePos)
#include <malloc.h>
#include <strings.h> // explicit_bzero

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

    // The design is a 1280x800 panel at scale 1. A denser display (SDL's DPI over 96) gets
    // everything `scale` times bigger, but never so big that less than 1280x800 logical pixels
    // fit: a 10" 1280x800 panel (~150 DPI) stays at 1, a 1920x1200 one of the same size gets 1.5.
    float automaticScale(SDL_Window* window)
    {
        const int display = SDL_GetWindowDisplayIndex(window);
        float dpi = 0;
        if (display < 0 || SDL_GetDisplayDPI(display, &dpi, nullptr, nullptr) != 0 || dpi <= 0)
            return 1.0f;
        int w = 0;
        int h = 0;
        SDL_GetWindowSize(window, &w, &h);
        const float fit = std::min(static_cast<float>(w) / 1280.0f, static_cast<float>(h) / 800.0f);
        const float scale = std::clamp(std::min(dpi / 96.0f, fit), 1.0f, 4.0f);
        return std::floor(scale * 4.0f) / 4.0f; // quarter steps: fewer odd glyph sizes
    }

    // One finger drives ImGui's mouse (SDL's touch-to-mouse events are off). ImGui 1.86 reads
    // the button once per frame, so the finger's changes are queued and each frame applies at
    // most one press or release: a tap shorter than a frame, two taps before the next frame, a
    // lift and the next finger's press in one frame all reach ImGui as separate frames. A second
    // finger that goes down while the first is still down releases the first (queued before its
    // own press). A finger that moved since the last frame is drawn held at its new spot before
    // it is released there, so ImGui measures the move (a flick scrolls, it does not tap). After
    // the release frame the pointer leaves the screen: nothing stays hovered where it lifted.
    struct TouchStep {
        bool down = false;
        bool press = false; // a press (never merged with a later move)
        ImVec2 pos;
    };
    struct Touch {
        bool active = false; // a finger is down, or its release has not been lifted away yet
        bool down = false; // as drawn in the last frame
        bool releaseDrawn = false;
        ImVec2 pos; // as drawn in the last frame
        std::deque<TouchStep> queue; // not drawn yet, oldest first
        bool fingerDown = false; // after everything queued
        SDL_FingerID finger = 0; // the finger that drives the pointer
        ImVec2 fingerPos; // after everything queued

        void push(const TouchStep& step)
        {
            // Moves while held: one frame at the latest spot is enough.
            if (step.down && !step.press && !queue.empty() && queue.back().down
                && !queue.back().press) {
                queue.back().pos = step.pos;
            } else {
                queue.push_back(step);
            }
            fingerDown = step.down;
            fingerPos = step.pos;
        }
        void fingerPressed(SDL_FingerID id, ImVec2 at)
        {
            if (fingerDown && id == finger) return; // repeated
            if (fingerDown) push({ false, false, fingerPos }); // another finger: the first lets go
            finger = id;
            push({ true, true, at });
        }
        void fingerMoved(SDL_FingerID id, ImVec2 at)
        {
            if (fingerDown && id == finger && (at.x != fingerPos.x || at.y != fingerPos.y))
                push({ true, false, at });
        }
        void fingerLifted(SDL_FingerID id, ImVec2 at)
        {
            if (!fingerDown || id != finger) return; // a finger that no longer drives the pointer
            fingerMoved(id, at);
            push({ false, false, at });
        }
    };
} // namespace

struct Shell::Impl {
    DisplayOptions options;
    Catalogue catalogue;
    State state;
    ui::UiContext ui;
    cardio::Pin pinPad; // the PIN pad's digits: locked, wiped; see ui::UiContext::pinPad
    cardio::NhiPassword nhiPassword; // the registration password typed; see ui::UiContext
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
    float scale = 1.0f; // display pixels per logical pixel (DisplayOptions::scale)
    Touch touch;
    bool touchOwnsPointer = false; // the last pointer was a finger: no hover after it lifts
    ui::WidgetRect textInputRect; // the caret rectangle given to SDL_SetTextInputRect
    double lastAtlasRebuildMs = 0;
    AtlasAdditions atlasTotal; // since start (tests)
    AtlasAdditions atlasSession; // logged once when the session ends, as counts only
    double atlasSessionSlowestMs = 0;
    bool quitRequested = false;
    Clock::time_point started = Clock::now();
    double firstFrameMs = 0;
    double firstFrameCpuMs = 0;

    void runCommand(const Command& c)
    {
        if (std::holds_alternative<ForgetPin>(c)) {
            pinPad.wipe(); // and the sink clears the handoffs
            nhiPassword.wipe();
        }
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
            if (const auto* q = std::get_if<QueryCaseStatus>(&c))
                queue->post(CaseQueryAnswered { q->queryId, CaseQueryResult::UNAVAILABLE, {}, 0 });
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
    // Compositions longer than 32 bytes (a dozen Chinese characters) in one SDL_TEXTEDITING_EXT.
    SDL_SetHint(SDL_HINT_IME_SUPPORT_EXTENDED_TEXT, "1");
    // Fingers are handled here (handleEvent); SDL's made-up mouse would hover where they lifted.
    SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0");
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
        SDL_ShowCursor(SDL_DISABLE); // a touch kiosk: no mouse cursor, windowed demo included
        SDL_StopTextInput(); // started only while a text field is active
    }
    if (d.renderer == nullptr) throw std::runtime_error(std::string("renderer: ") + SDL_GetError());
    d.scale = options.scale > 0 ? options.scale
        : d.window != nullptr   ? automaticScale(d.window)
                                : 1.0f;

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ui::applyTheme();
    ImGuiIO& io = ImGui::GetIO();
    // ImGui's SDL backend would show the system cursor again on every frame.
    io.ConfigFlags |= ImGuiConfigFlags_NoMouseCursorChange;
    // Screens are laid out in logical pixels (1280x800 at scale 1); SDL's renderer multiplies
    // every vertex and clip rectangle by the scale (SDL_RenderSetScale; ImGui 1.86's
    // SDL_Renderer backend would scale only the clip rectangles by DisplayFramebufferScale) and
    // the fonts are baked that much bigger, so a 44 px target is 44 * scale pixels.
    io.FontGlobalScale = 1.0f / d.scale;
    if (SDL_RenderSetScale(d.renderer, d.scale, d.scale) != 0)
        throw std::runtime_error(std::string("SDL_RenderSetScale: ") + SDL_GetError());
    if (options.headless) {
        io.DisplaySize = ImVec2(static_cast<float>(options.width) / d.scale,
            static_cast<float>(options.height) / d.scale);
        io.DisplayFramebufferScale = ImVec2(1.0f, 1.0f); // SDL scales (above)
        io.MouseDoubleClickTime = 0.0f; // scripted taps on one field must never select a word
        io.KeyMap[ImGuiKey_End] = SDL_SCANCODE_END;
        io.KeyMap[ImGuiKey_Home] = SDL_SCANCODE_HOME;
    }
    d.fonts = std::make_unique<ui::FontLoader>(ui::FontOptions {}, uiTexts(d.catalogue));
    d.fonts->setDpiScale(d.scale);
    d.fonts->setCacheDir(options.fontCacheDir);
    d.ui.fonts = d.fonts->addTo(*io.Fonts);
    const bool cached = d.fonts->build(*io.Fonts); // uploaded by the renderer's first frame
    std::clog << "kiosk: font atlas " << (cached ? "loaded from its cache" : "built") << '\n';
    d.ui.catalogue = &d.catalogue;
    d.ui.pinPad = &d.pinPad;
    d.ui.nhiPassword = &d.nhiPassword;

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
cardio::NhiPassword& Shell::nhiPassword() noexcept
{
    return impl_->nhiPassword;
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
double Shell::firstFrameCpuMs() const noexcept
{
    return impl_->firstFrameCpuMs;
}
int Shell::fontCacheLoads() const noexcept
{
    return impl_->fonts->cacheLoads();
}
double Shell::lastAtlasRebuildMs() const noexcept
{
    return impl_->lastAtlasRebuildMs;
}
float Shell::scale() const noexcept
{
    return impl_->scale;
}
ui::WidgetRect Shell::textInputRect() const noexcept
{
    return impl_->textInputRect;
}

void Shell::handleEvent(const SDL_Event& e)
{
    Impl& d = *impl_;
    ImGuiIO& io = ImGui::GetIO();
    const auto fingerAt = [&io](const SDL_TouchFingerEvent& t) {
        return ImVec2(t.x * io.DisplaySize.x, t.y * io.DisplaySize.y); // normalised to logical
    };
    switch (e.type) {
    case SDL_QUIT:
        d.quitRequested = true;
        return;
    case SDL_FINGERDOWN:
        d.touch.fingerPressed(e.tfinger.fingerId, fingerAt(e.tfinger));
        d.touchOwnsPointer = true;
        return;
    case SDL_FINGERMOTION:
        d.touch.fingerMoved(e.tfinger.fingerId, fingerAt(e.tfinger));
        return;
    case SDL_FINGERUP:
        d.touch.fingerLifted(e.tfinger.fingerId, fingerAt(e.tfinger));
        return;
    case SDL_TEXTEDITING:
        // The system IME's composition: drawn by the kiosk at the caret (ui/src/frame.cpp).
        d.ui.ime.text = e.edit.text;
        d.ui.ime.cursor = e.edit.start;
        return;
    case SDL_TEXTEDITING_EXT:
        d.ui.ime.text = e.editExt.text != nullptr ? e.editExt.text : "";
        d.ui.ime.cursor = e.editExt.start;
        SDL_free(e.editExt.text); // SDL hands it over
        return;
    case SDL_TEXTINPUT:
        // Committed text (or a plain key): the composition is over.
        d.ui.ime.text.clear();
        d.ui.ime.cursor = 0;
        io.AddInputCharactersUTF8(e.text.text);
        return;
    case SDL_MOUSEMOTION:
        if (e.motion.which != SDL_TOUCH_MOUSEID) d.touchOwnsPointer = false; // a real mouse
        break;
    case SDL_MOUSEBUTTONDOWN:
        if (e.button.which != SDL_TOUCH_MOUSEID) d.touchOwnsPointer = false;
        break;
    case SDL_KEYDOWN:
        if (d.keyHandler) d.keyHandler(e.key.keysym.sym);
        break;
    default:
        break;
    }
    if (d.platformBackend && e.type != d.queue->wakeEventType()) ImGui_ImplSDL2_ProcessEvent(&e);
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
    ui::prepareNhiPassword(d.ui, d.state);
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
        ImGui_ImplSDL2_NewFrame(); // window size and the mouse in window pixels
        io.DisplaySize = ImVec2(io.DisplaySize.x / d.scale, io.DisplaySize.y / d.scale);
        // A high-DPI window's own framebuffer ratio times the kiosk's scale, applied by SDL to
        // vertices and clip rectangles alike; ImGui then works in logical pixels throughout.
        SDL_RenderSetScale(d.renderer, io.DisplayFramebufferScale.x * d.scale,
            io.DisplayFramebufferScale.y * d.scale);
        io.DisplayFramebufferScale = ImVec2(1.0f, 1.0f);
        if (io.MousePos.x != -FLT_MAX)
            io.MousePos = ImVec2(io.MousePos.x / d.scale, io.MousePos.y / d.scale);
        // After a finger lifts, nothing may stay "hovered" under the last touch point (X11 moves
        // its core pointer there).
        if (d.touchOwnsPointer) {
            io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
            io.MouseDown[0] = false;
        }
    } else {
        io.DeltaTime = 1.0f / 60.0f; // deterministic headless frames
    }
    if (!d.touch.queue.empty()) { // one step of the finger per frame
        const TouchStep step = d.touch.queue.front();
        d.touch.queue.pop_front();
        d.touch.active = true;
        d.touch.down = step.down;
        d.touch.pos = step.pos;
        d.touch.releaseDrawn = false;
        io.MousePos = step.pos;
        io.MouseDown[0] = step.down;
    } else if (d.touch.active) {
        io.MousePos = d.touch.pos;
        io.MouseDown[0] = d.touch.down;
        if (!d.touch.down && d.touch.releaseDrawn) {
            // The release was drawn under the finger: now lift away.
            io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
            d.touch.active = false;
        }
    }
    if (d.touch.active && !d.touch.down) d.touch.releaseDrawn = true;
    ImGui::NewFrame();
    // ImGui 1.86's NewFrame puts the IME position at (1, 1) ("top-left by default"); only a text
    // field drawn with its caret this frame sets it. FLT_MAX means no caret: no composition is
    // drawn, and the IME window is not moved to the corner, while no field shows one.
    ImGui::GetCurrentContext()->PlatformImePos = ImVec2(FLT_MAX, FLT_MAX);
    auto events = ui::drawFrame(d.state, d.ui);
    ImGui::Render();
    if (d.textInputOn || io.WantTextInput) {
        // EndFrame only resizes ImGui's character queue: what was typed (perhaps the
        // registration password) would stay in its storage. Zero all of it.
        if (io.InputQueueCharacters.Data != nullptr && io.InputQueueCharacters.Capacity > 0)
            explicit_bzero(io.InputQueueCharacters.Data,
                static_cast<std::size_t>(io.InputQueueCharacters.Capacity) * sizeof(ImWchar));
    }
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
        timespec cpu {};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
        d.firstFrameCpuMs
            = static_cast<double>(cpu.tv_sec) * 1e3 + static_cast<double>(cpu.tv_nsec) / 1e6;
        std::clog << "kiosk: first frame after " << static_cast<int>(d.firstFrameMs) << " ms ("
                  << static_cast<int>(d.firstFrameCpuMs) << " ms of CPU since exec), font atlas "
                  << io.Fonts->TexWidth << "x" << io.Fonts->TexHeight << ", "
                  << d.fonts->bodyGlyphCount() << " body glyphs\n";
    }
    // The registration password screen takes a physical keyboard's characters too (no IME).
    const bool wantText = io.WantTextInput || d.state.screen == Screen::NHI_PASSWORD;
    if (d.platformBackend && wantText != d.textInputOn) {
        d.textInputOn = wantText;
        if (d.textInputOn) {
            SDL_StartTextInput();
        } else {
            SDL_StopTextInput();
        }
    }
    placeImeWindow();
    for (auto& e : events)
        dispatch(std::move(e));
}

void Shell::placeImeWindow()
{
    Impl& d = *impl_;
    const ImGuiContext& g = *ImGui::GetCurrentContext();
    const bool editing = g.ActiveId != 0 && g.ActiveId == g.InputTextState.ID;
    if (!editing || g.PlatformImePos.x == FLT_MAX) {
        d.textInputRect = {};
        if (!d.ui.ime.text.empty() && !editing) d.ui.ime = {}; // the field was left: cancelled
        return;
    }
    // The caret's line, in window coordinates: the IME opens its candidate window just below.
    const float line = d.ui.fonts.body != nullptr ? d.ui.fonts.body->FontSize / d.scale : 24.0f;
    const ImVec2 at = g.PlatformImePos;
    const ui::WidgetRect rect { at.x * d.scale, at.y * d.scale, (at.x + 2.0f) * d.scale,
        (at.y + line) * d.scale, true };
    if (rect.x0 == d.textInputRect.x0 && rect.y0 == d.textInputRect.y0
        && rect.y1 == d.textInputRect.y1 && d.textInputRect.visible)
        return;
    d.textInputRect = rect;
    if (d.platformBackend) {
        SDL_Rect r { static_cast<int>(rect.x0), static_cast<int>(rect.y0),
            static_cast<int>(rect.width()), static_cast<int>(rect.height()) };
        SDL_SetTextInputRect(&r);
    }
}

void Shell::coverNewCharacters()
{
    Impl& d = *impl_;
    if (!d.fontsReleased)
        return; // the first build already has everything the catalogue and form need
    ImGuiIO& fontIo = ImGui::GetIO();
    const float scale = d.state.largeText ? ui::FontOptions {}.largeScale : 1.0f;
    // The session is over: the characters someone's name or complaint added go too, so the next
    // person starts with the base atlas (and home looks exactly like a fresh kiosk's). One
    // rebuild, also when the text size goes back to normal at the same time.
    const bool sessionOver = d.state.screen == Screen::HOME && d.fonts->hasAdded();
    if (sessionOver) d.fonts->forgetAdded(*fontIo.Fonts, d.ui.fonts, false);
    const bool rescaled = d.fonts->rescale(*fontIo.Fonts, d.ui.fonts, scale);
    if (rescaled || (sessionOver && d.fonts->forgetAdded(*fontIo.Fonts, d.ui.fonts, true))) {
        ImGui_ImplSDLRenderer_DestroyFontsTexture();
        ImGui_ImplSDLRenderer_CreateFontsTexture();
        d.fonts->releaseAfterUpload(*fontIo.Fonts);
        malloc_trim(0);
        std::clog << "kiosk: font atlas rebuilt for " << (d.state.largeText ? "large" : "normal")
                  << " text" << (sessionOver ? ", base characters only" : "") << '\n';
    }
    if (sessionOver) {
        // Counts only: which characters, or when one was added, would tell a rare name.
        std::clog << "kiosk: font atlas: the session added characters "
                  << d.atlasSession.inPlace + d.atlasSession.rebuilt << " times ("
                  << d.atlasSession.inPlace << " in place, " << d.atlasSession.rebuilt
                  << " by a rebuild, slowest " << static_cast<int>(d.atlasSessionSlowestMs)
                  << " ms)\n";
        d.atlasSession = {};
        d.atlasSessionSlowestMs = 0;
    }
    std::vector<std::string> typed { d.state.cardHolderName, d.ui.ime.text };
    for (const auto& [id, value] : d.state.answers)
        typed.push_back(value);
    ImGuiIO& io = ImGui::GetIO();
    const auto start = Clock::now();
    // A rarer character (Big5 level 2 and beyond, in a name or typed): drawn into the texture's
    // spare rows, or, when they are full, the atlas is rebuilt with it and uploaded again.
    auto* texture = static_cast<SDL_Texture*>(io.Fonts->TexID);
    const auto write = [texture](int x, int y, int w, int h, const std::uint8_t* rgba) {
        const SDL_Rect r { x, y, w, h };
        return texture != nullptr && SDL_UpdateTexture(texture, &r, rgba, w * 4) == 0;
    };
    const auto added
        = d.fonts->coverMissing(*io.Fonts, d.ui.fonts, typed, { d.state.cardHolderName }, write);
    if (added == ui::FontLoader::Added::NOTHING) return;
    if (added == ui::FontLoader::Added::REBUILT) {
        ImGui_ImplSDLRenderer_DestroyFontsTexture();
        ImGui_ImplSDLRenderer_CreateFontsTexture();
        d.fonts->releaseAfterUpload(*io.Fonts);
        malloc_trim(0);
    }
    d.lastAtlasRebuildMs = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    d.atlasSessionSlowestMs = std::max(d.atlasSessionSlowestMs, d.lastAtlasRebuildMs);
    for (AtlasAdditions* count : { &d.atlasTotal, &d.atlasSession }) {
        if (added == ui::FontLoader::Added::IN_PLACE) {
            ++count->inPlace;
        } else {
            ++count->rebuilt;
        }
    }
}

AtlasAdditions Shell::atlasAdditions() const noexcept
{
    return impl_->atlasTotal;
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
            handleEvent(e);
            if (e.type == SDL_TEXTINPUT || e.type == SDL_TEXTEDITING)
                explicit_bzero(&e, sizeof e); // the typed text is not left on the stack
            framesToDraw = 3;
            gotEvent = SDL_PollEvent(&e) != 0;
        }
        if (pump()) framesToDraw = 3;
        // Every queued finger step gets its own frame, and the release one more to lift away.
        if (!d.touch.queue.empty() || (d.touch.active && !d.touch.down))
            framesToDraw = std::max(framesToDraw, 1);
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
