"""What names an event: one trigger family per type, French and English.

A trigger is found two ways, both anchored on a token of the parse:
- by lemma: a token whose lemma (or lower-cased form, where the small models'
  lemmatizer stumbles: 'fined' -> 'fin') is one of the family's words, with the part of
  speech the family allows ('racheter', 'rachètera', 'a racheté', 'buy', 'bought',
  'agreed to buy' all reach the lemma 'racheter' / 'buy');
- by phrase: a multi-word or context-bound expression ('step down', 'porte plainte',
  'supprimer 350 postes', 'tour de table'), whose anchor is the phrase's head in the parse.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.extract.caseblind import CaseBlind


@dataclass(frozen=True)
class Lexicon:
    """`lemmas`: single words (lemma or form) that are triggers by themselves, with the
    parts of speech allowed for them ('' = any); `phrases`: expressions matched on text."""

    lemmas: dict[str, str]
    phrases: CaseBlind | None = None


def _words(spec: str, pos: str = "") -> dict[str, str]:
    return dict.fromkeys(spec.split(), pos)


V, N = "VERB", "NOUN"

ACQUISITION = Lexicon(
    {
        **_words("acquire buy purchase racheter acquérir absorber", V),
        **_words("takeover acquisition rachat buyout", N),
    },
    CaseBlind(
        r"\b(?:rach[eè]t\w*|rachat|acquiert|acquis\b|acquisition|met la main sur|mis la main sur"
        r"|s['’]empare\w*|acquir(?:es|ed|ing|e)|buy(?:s|ing)?|bought|takeover|purchas(?:es|ed|e)"
        r"|s['’]offr\w*|snap(?:s|ped|ping)? up|t(?:ake|akes|ook|aking|aken) over|prise de contrôle"
        r"|pris le contrôle|prend(?:ra)? le contrôle|t(?:ake|akes|ook|aking) control of"
        r"|(?:sold|sells|sell|selling|cède|cédé|céder|cédera|vend|vendu|vendre)"
        r"(?=[^.;]{0,120}?\b(?:to|à|au|aux)\b))\b"
    ),
)
INVESTMENT = Lexicon(
    {**_words("invest investir injecter", V), **_words("investment investissement", N)},
    CaseBlind(
        r"\b(?:investi[rt]?\b|investissement|investira|injecte\w*|prise de participation"
        r"|entre au capital|entré au capital|entrer au capital|monte au capital"
        r"|invest(?:s|ed|ing|ment)?\b|stake in|stake of|prend(?:re)? une participation"
        r"|pris une participation|participation (?:de [\d,.]+\s?%|minoritaire|majoritaire)"
        r"|takes? a (?:[\w-]+ )?stake|took a (?:[\w-]+ )?stake|(?:acquired|bought|buys|acquires)"
        r" a (?:[\w-]+ ){0,3}stake|a acquis une participation|pour(?:s|ed|ing)? (?=[^.]{0,30}\binto\b))"
    ),
)
FUNDING = Lexicon(
    {**_words("lever", V), **_words("levée fundraising", N)},
    CaseBlind(
        r"(?:tour de table|levée de fonds|(?:a |avoir |ont )?levé\b|lève|série [A-F]\b"
        r"|funding round|(?:a également |ont également |also )?(?:participé|took part|participated)"
        r"(?=[^.]{0,40}\b(?:opération|round|levée|tour))"
        r"|round of funding|put (?:money|cash) in(?:to)?\b"
        r"|also (?:took part|participated|joined in|chipped in)\b|(?:ont|a) également pris part"
        r"|rais(?:es|ed|ing)\b(?=[^.;]{0,50}?(?:[$€£]|\b(?:euros?|dollars?"
        r"|pounds?|francs?|yen|million|billion|bn|round|funds?|capital|financing|funding|money"
        r"|investors)\b))|series [A-F]\b|seed round|financing round"
        r"|\b(?:secur(?:es|ed|ing)|a obtenu|obtient|a bouclé|boucle|clos(?:es|ed|ing)"
        r"|collect(?:e|é)|a réuni|réunit)\b(?=[^.]{0,40}?\d)"
        r"|\b(?:the|this|that|ce|cette|la) (?:round|tour de table|levée(?: de fonds)?)\b)"
    ),
)
HIRE = Lexicon(
    {
        **_words("appoint nominate recruit hire poach nommer recruter embaucher désigner", V),
        **_words("name", V),  # 'naming finance director X as interim chief
        **_words("débaucher promouvoir", V),
        **_words("appointment nomination recrutement", N),
    },
    CaseBlind(
        r"\b(?:rejoin(?:t|dra|dre|s)|recrut\w*|nommée?s?\b|embauch\w*|arrive(?:ra)? chez"
        r"|prend(?:ra)? la (?:tête|direction|présidence)|pris la (?:tête|direction|présidence)"
        r"|prendre la (?:tête|direction|présidence)|join(?:s|ed|ing)?\b|hire[sd]?\b|hiring"
        r"|appoint(?:s|ed|ment)|named\b|poach(?:es|ed)?|recruit(?:s|ed)?|tap(?:s|ped)\b"
        r"|désign\w+|promu\w*|promoted|tak(?:es|ing)? the helm|took the helm|t(?:akes|ook) over as"
        r"|devien(?:t|dra)|deviendra|become[s]?|became|will become)"
    ),
)
INTERIM = Lexicon(
    {},
    CaseBlind(
        r"\b(?:assurera l['’]intérim|par intérim|interim|will (?:run|lead) the"
        r"|succeed(?:s|ing)?\b|succédera|succéder|succède)"
    ),
)
DEPARTURE = Lexicon(
    {
        **_words("resign quit retire démissionner quitter limoger évincer congédier", V),
        **_words("oust dismiss sack destituer remove fire", V),
        **_words("departure resignation retirement départ démission", N),
    },
    CaseBlind(
        r"\b(?:quitt(?:e|er|era|é|ait)|départ|démission\w*|s['’]en va|cède sa place|limogé\w*"
        r"|évincé\w*|leav(?:es|ing|e)\b|left\b|quits?\b|depart(?:s|ure)?|resign\w*"
        r"|step(?:s|ped|ping)? down|ousted|was fired|been fired|retir(?:e|es|ed|ing)\b"
        r"|démise? de ses fonctions|remerciée?\b|congédiée?\b|cesse(?:ra)? ses fonctions"
        r"|(?:prend(?:ra)?|part(?:ira)?|partir) (?:sa|à la) retraite)"
    ),
)
# 'killing at least 12 people including lawmaker X', 'tuant un guide de montagne, X': the
# victims an attack or a disaster names (pipeline.extract.events.roles.victims)
KILLED = Lexicon(
    {**_words("kill tuer", V)},
    CaseBlind(r"\b(?:killing|tuant)\b"),
)
REPLACED = Lexicon(
    {},
    CaseBlind(
        r"\b(?:replac(?:ing|es|ed|e)|en remplacement de|remplace|remplacera|remplacer"
        r"|succ[eèé]d(?:e|s|er|ing|era)?\b|succeed(?:s|ed|ing)?\b)"
    ),
)
PARTNERSHIP = Lexicon(
    {
        **_words("partenariat partnership alliance coentreprise tie-up collaboration", N),
        **_words("coopération cooperation", N),
    },
    CaseBlind(
        r"\b(?:partenariat|s['’]associ\w+|alliance|coentreprise|accord de coopération"
        r"|partnership|team(?:s|ed|ing)? up|joint[- ]venture|tie-up|accord (?:stratégique"
        r"|de partenariat|industriel|commercial)|strategic (?:agreement|alliance)|s['’]allient"
        r"|s['’]allie|partner(?:s|ed|ing)? with|join(?:s|ed)? forces|unissent leurs forces"
        r"|s['’]unissent|sign(?:s|ed)? (?:an? |a new )?(?:[\w-]+ ){0,2}(?:agreement|deal|accord)"
        r" with|signé (?:un|une) (?:[\w-]+ ){0,2}(?:accord|contrat) avec"
        r"|(?:agreement|accord) (?:avec|with) )"
    ),
)
EARNINGS = Lexicon(
    {},
    CaseBlind(
        r"\b(?:bénéfice|résultat net|résultat opérationnel|perte nette|chiffre d['’]affaires"
        r"|net profit|net loss|net income|profit|operating income|revenue|earnings"
        r"|(?:operating|quarterly|annual|pre-tax|half-year) loss|perte (?:opérationnelle"
        r"|d['’]exploitation))"
    ),
)
_JOBS = r"(?:jobs|positions|workers|staff|employees|posts|roles|people)"
LAYOFFS = Lexicon(
    {**_words("licencier", V), **_words("licenciement redundancy layoff", N)},
    CaseBlind(
        r"(?:supprim\w+ (?:jusqu['’]à |environ |près de |quelque )?(?:[\d.,\s]+ )?(?:postes"
        r"|emplois)|suppressions? (?:de |d['’])?(?:[\d.,\s]+ )?(?:postes|emplois)|plan social"
        r"|plan de départs|plan de sauvegarde de l['’]emploi|licenciements?|licencier"
        r"|réduire (?:ses |leurs )?effectifs|réduction (?:de |des )?effectifs"
        r"|se s[ée]parer? d(?:e|u|['’])[^.]{0,30}?(?:salariés|employés|collaborateurs|postes)"
        rf"|(?:slash|shed|eliminat|axe|cut)\w*\s+(?:about |some |nearly |around |up to |roughly "
        rf"|more than |almost )?[\d,.]+\s+(?:[\w-]+\s+)?{_JOBS}"
        r"|lay(?:s|ing)? off|laid off|layoffs?|job cuts|job losses|redundanc(?:y|ies)"
        r"|cut(?:s|ting)? (?:about |some )?[\d,]+ (?:jobs|positions|workers|staff)|axe[sd]? [\d,]+"
        r"|(?:cut|reduce|trim|slash)\w* (?:its |their )?(?:workforce|headcount|staff))"
    ),
)
FINE = Lexicon(
    {
        **_words("fine", "VERB NOUN"),
        **_words("amende penalty", N),
        **_words("sanctionner infliger", V),
    },
    CaseBlind(
        r"\b(?:amende|inflig\w+|sanctionn\w+|fine[sd]?\b|fining|penalt(?:y|ies)"
        r"|écop\w+ d['’e]\s*(?:une |la |l['’])?(?:amende|sanction|pénalité)"
        r"|agreed to pay\b(?=[^.]{0,80}\bto settle\b))"
    ),
)
LAWSUIT = Lexicon(
    {**_words("sue", V), **_words("lawsuit", N)},
    CaseBlind(
        r"\b(?:port(?:e|é|er|era|ent|eront)\s+plainte|plainte contre|assign\w* en justice|poursui\w+ en"
        r" justice|attaqu\w+ (?:[\w'’-]+ ){0,3}en justice|sue[sd]?\b|suing|lawsuit"
        r"|assign\w*(?=[^.]{0,60}\b(?:devant|au tribunal|en justice))"
        r"|fil(?:ed|es|ing) (?:a |an )?(?:[\w-]+ ){0,2}(?:suit|complaint|case)"
        r"|legal action|class[- ]action|poursuites judiciaires"
        r"|action (?:collective )?en justice|intenté une action|saisi la justice)"
    ),
)
LAUNCH = Lexicon(
    # by lemma: the role rule wants a product as the object ('Sony launched a compact
    # camera', 'a dévoilé une plateforme de simulation'), not a campaign, a bid or a plan
    {**_words("launch unveil debut lancer dévoiler", V)},
    # a launch of something new: 'a lancé mercredi la nouvelle Twingo', 'unveiled its first'
    CaseBlind(
        r"\b(?:(?:a )?lanc[eé]\w*|lancement|dévoil\w+|launch(?:es|ed|ing)?|unveil\w*|rolls? out"
        r"|rolled out|introduc(?:es|ed)|présent(?:e|é|ait)|commercialis\w+|met sur le marché"
        r"|release[sd]?|debut(?:s|ed))\b(?=(?:\s+[\w'’-]+){0,6}?\s+(?:nouvel(?:le)?s?|nouveaux?"
        r"|new|first|premier|première|latest|dernier|dernière|version|model|modèle)\b"
        # a named product, told as one: 'unveiled the HX-2, a long-range strike drone',
        # 'released the Pulse 3, a smart ring', 'un assistant virtuel baptisé Aura'
        r"|(?:\s+on\s+\w+day|\s+\w+di)?\s+(?:the|le|la|l['’]|its|son|sa)\s*(?-i:[A-Z0-9])[\w-]*"
        r"(?:\s+(?-i:[A-Z0-9])[\w-]*){0,3},\s+(?:an?|une?|des|its|son|sa)\b"
        r"|(?:\s+[\w'’-]+){0,6}?\s+(?:baptisée?s?|called|named|dubbed|nommée?s?)\s+(?-i:[A-Z0-9]))"
    ),
)
ELECTION = Lexicon(
    {},
    CaseBlind(
        r"\b(?:remport\w+ (?:\w+ ){0,3}(?:élections?|présidentielle|législatives|scrutin|vote"
        r"|second tour|municipales|primaire)|élue?s? (?:\w+ )?(?:président|présidente|maire"
        r"|premier|première|gouverneur|député|chancelier|à la tête)|wins? (?:[\w'’-]+ ){0,3}"
        r"(?:election|runoff|vote|presidency|ballot|race|primary)|won (?:[\w'’-]+ ){0,3}"
        r"(?:election|runoff|vote|presidency|ballot|race|primary)|elected (?:as )?(?:president"
        r"|prime minister|mayor|governor|chancellor)|victoire (?:\w+ ){0,3}(?:à l['’]élection"
        r"|aux élections|à la présidentielle|au scrutin|au second tour)"
        # re-elections, 'l'emporte', 'elected X as mayor', 'secured a third term'
        r"|l['’]emport\w*|réélue?s?\b|re-?elected|(?:was|were|been) elected|a été élue?\b"
        r"|élue?s? (?:dimanche |lundi |dès |au |à la )|elected (?:[\w-]+ ){1,4}as\b"
        r"|(?:secured|won|wins|secures|clinched) (?:a |another |yet another )?(?:second|third"
        r"|fourth|fifth|new|fresh) (?:term|mandate)|returned (?:[\w'’-]+ ){1,4}for (?:a |another"
        r" |yet another )?(?:\w+ )?term)"
    ),
)
DISASTER = Lexicon(
    {**_words("explosion éboulement eboulement rockslide", N)},
    CaseBlind(
        r"\b(?:séisme|tremblement de terre|inondations?|crues?|ouragan|cyclone|typhon|tempête"
        r"|incendies?|glissement de terrain|tsunami|éruption|earthquake|quake|floods?|flooding"
        r"|hurricane|typhoon|wildfires?|landslide|eruption|storm|avalanche|tornad\w+|mudslide"
        r"|coulée de boue|bushfires?|feux? de forêt|forest fires?|blaze)\b"
    ),
)
ATTACK = Lexicon(
    # 'Jihadists attacked an army post', 'Un homme a attaqué des voyageurs', 'stabbed'
    {**_words("attack attaquer stab poignarder ambush bomb", V)},
    CaseBlind(
        r"\b(?:attentat\w*|attaque(?![^.]{0,40}en justice)|kamikaze|fusillade|suicide bomb\w*"
        r"|bombing|attack|shooting|gunmen|stabbing|car bomb|ambush|embuscade|massacre"
        r"|opened fire|ouvert le feu)\b"
    ),
)
DEATH = Lexicon(
    {},
    CaseBlind(
        r"(?:\best morte?\b|\best décédée?|\bdécès\b|\bmeurt\b|\bs['’]est éteinte?"
        r"|\bdied\b|\bdies\b|\bpassed away|\bdeath of\b|\bdécédée?\b|\ba succombé"
        # the named victims of an attack or a disaster
        r"|\bamong (?:the|those) (?:dead|killed|victims)|\b(?:one|two|three) of the (?:dead|victims)"
        r"|\bparmi les (?:victimes|morts|tués)|\bau nombre des victimes"
        r"|\b(?:a|ont|avait) perdu la vie|\b(?:lost (?:his|her|their) li(?:fe|ves))"
        r"|\b(?:was|were) (?:among those )?killed\b|\ba été tuée?\b|\bont été tué(?:e)?s\b)"
    ),
)
