// One real kiosk UI, headless (SDL's software renderer on a memory surface), with no workers: the
// test taps widgets by id like a finger and plays the workers by posting their events.
#pragma once

#include "kiosk/app/shell.hpp"
#include "kiosk/core/form.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace shensu::kiosk::test
{

using namespace shensu::kiosk::app;

inline Catalogue catalogueFor(const State& s)
{
    Catalogue c = Catalogue::load(SHENSU_ASSETS_DIR "/i18n");
    c.loadFormStrings(SHENSU_ASSETS_DIR "/i18n", s.form->id);
    return c;
}

inline State testState(const std::function<void(State&)>& tweak)
{
    State s = initialState(
        std::make_shared<const Form>(loadForm(SHENSU_ASSETS_DIR "/forms/dgpa-complaint.v1.json")),
        "KIOSK-TEST-01", Language::ZH_TW);
    if (tweak) tweak(s);
    return s;
}

// One kiosk with no workers: commands are recorded; the test plays the workers by posting events.
struct Kiosk {
    std::vector<Command> commands;
    Shell shell;

    explicit Kiosk(const std::function<void(State&)>& tweak = {},
        DisplayOptions display = { .headless = true, .width = 1280, .height = 800 })
        : shell(display, catalogueFor(testState(tweak)), testState(tweak))
    {
        shell.setCommandSink([this](const Command& c) { commands.push_back(c); });
        shell.setClock([] { return std::string("2026-11-23T10:00:00Z"); });
        shell.frame();
    }

    void tap(const std::string& id)
    {
        std::string error;
        INFO("tap " << id);
        REQUIRE(shell.tap(id, error));
    }
    void type(const std::string& id, const std::string& text)
    {
        std::string error;
        INFO("type into " << id << ": " << error);
        REQUIRE(shell.type(id, text, error));
    }
    // A worker's answer arrives through the queue, as in the app.
    // (An NhiLoginAnswered without a generation answers the login awaited now.)
    void workerSays(Event e)
    {
        if (auto* a = std::get_if<NhiLoginAnswered>(&e); a != nullptr && a->generation == 0)
            a->generation = shell.state().nhiLoginGeneration;
        shell.queue().post(std::move(e));
        shell.pump();
        shell.frame();
    }
    Screen screen() const { return shell.state().screen; }
    // The frame as it is on screen now (RGBA).
    std::vector<std::uint8_t> pixels()
    {
        std::vector<std::uint8_t> rgba;
        int w = 0;
        int h = 0;
        std::string error;
        INFO(error);
        REQUIRE(shell.capture(rgba, w, h, error));
        return rgba;
    }
    // Lets real time pass (timers fire, frames are drawn) until `done` or the timeout.
    bool runUntil(const std::function<bool(const State&)>& done,
        std::chrono::milliseconds timeout = std::chrono::seconds(10))
    {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!done(shell.state())) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            if (shell.waitForActivity(std::chrono::milliseconds(100))) shell.frame();
        }
        shell.frame();
        return true;
    }
    const ui::WidgetRect& widget(const std::string& id)
    {
        const auto* r = shell.ui().widgets.find(id);
        INFO("widget " << id);
        REQUIRE(r != nullptr);
        return *r;
    }
    template<typename C> std::vector<C> sent() const
    {
        std::vector<C> out;
        for (const auto& c : commands) {
            if (const auto* x = std::get_if<C>(&c)) out.push_back(*x);
        }
        return out;
    }
};

} // namespace shensu::kiosk::test
