// Reading card: the worker is talking to the card; nothing to tap but the language.
#include "screens/screens.hpp"

namespace shensu::kiosk::ui
{

void drawReadingCard(Frame& f)
{
    title(f,
        f.tr(f.state.filer == Filer::CITIZEN_CERT ? "reading_card.citizen_title"
                                                  : "reading_card.title"));
    paragraph(f.tr("reading_card.body"));
}

} // namespace shensu::kiosk::ui
