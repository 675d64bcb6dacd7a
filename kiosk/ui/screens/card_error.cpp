// Card error: what went wrong with the card, in words a person can act on; try again or go home.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawCardError(Frame& f)
{
    title(f,
        f.tr(f.state.filer == Filer::CITIZEN_CERT ? "card_error.citizen_title"
                                                  : "card_error.title"));
    errorText(f.tr(
        f.state.cardErrorKey.empty() ? std::string("card_error.failed") : f.state.cardErrorKey));
    beginFooter();
    if (button(f, "card_error.home", f.tr("common.home"), { 240, TOUCH_HEIGHT })) f.emit(GoHome {});
    ImGui::SameLine();
    if (primaryButton(f, "card_error.retry", f.tr("card_error.retry"), { -1, TOUCH_HEIGHT }))
        f.emit(RetryCard {});
}

} // namespace shensu::kiosk::ui
