"""A wire story as three outlets ran it, lightly edited, and a different story about the same place."""

WIRE = (
    "Six bombardiers stratégiques russes Tu-22M3 ont frappé mercredi des positions du groupe Etat islamique "
    "près d'al-Boukamal, dans la province de Deir ez-Zor, a annoncé le ministère russe de la Défense. "
    "Les appareils, partis du territoire russe, ont survolé l'Iran et l'Irak avant de viser des postes de "
    "commandement et des dépôts d'armes et de munitions. Selon Moscou, tous les objectifs ont été détruits. "
    "La veille, un sous-marin russe stationné en Méditerranée avait tiré des missiles Kalibr sur des cibles "
    "dans la même province, où l'armée syrienne et ses alliés mènent une offensive."
)
COPIES = (
    WIRE,
    WIRE.replace("Six bombardiers stratégiques russes", "Six bombardiers russes")
    .replace("a annoncé le ministère russe de la Défense", "selon le ministère russe de la Défense")
    .replace("Selon Moscou,", "D'après Moscou,"),
    "Syrie : "
    + WIRE.replace("mercredi", "ce mercredi").replace(
        "tous les objectifs ont été détruits", "l'ensemble des cibles a été détruit"
    )
    + " (avec AFP)",
)
OTHER_STORY_SAME_PLACE = (
    "À Deir ez-Zor, les habitants racontent trois années de siège. Dans les quartiers tenus par le gouvernement, "
    "l'eau et l'électricité reviennent peu à peu, et les premiers camions de farine sont arrivés par la route de "
    "Palmyre. Les écoles doivent rouvrir le mois prochain, selon le gouverneur, qui promet des aides pour "
    "reconstruire les maisons détruites par les tirs de mortier."
)
