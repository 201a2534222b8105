"""The built-in vocabulary: words and phrases (folded: lower case, no accents) with their weights.

Positive weights in CODE_TERMS push towards the code model; CHAT_TERMS push away from it.
AMBIGUOUS words are code only when none of their "other meaning" words appear in the same message
(Python the snake, Java the island). Matching is on whole words and whole phrases only.
"""


def _terms(weight, words):
    return {w: weight for w in words.split("|")}


CODE_TERMS = {}
# Languages, runtimes and tools that are almost never anything but code.
CODE_TERMS.update(_terms(3, (
    "javascript|typescript|kotlin|golang|c++|c#|f#|php|perl|haskell|scala|clojure|elixir|erlang|fortran|cobol"
    "|matlab|powershell|bash|zsh|shell script|vba|assembly|assembler|webassembly|solidity|groovy|lua|dart|flutter"
    "|node js|nodejs|deno|npm|yarn|pnpm|pip|pipenv|python poetry|conda|virtualenv|venv|maven|gradle|cargo|rustc|gcc|clang"
    "|cmake|makefile|dockerfile|docker|docker compose|kubernetes|kubectl|k8s|helm|terraform|ansible|nginx|apache2"
    "|git|github actions|gitlab ci|pull request|merge request|commit|rebase|git merge|branch do git"
    "|react|reactjs|angular|vue js|vuejs|svelte|nextjs|next js|django|flask|fastapi|spring boot|laravel|rails"
    "|ruby on rails|express js|expressjs|jquery|pandas|numpy|pytorch|tensorflow|scikit learn|sklearn|matplotlib"
    "|dataframe|jupyter|notebook jupyter|sql|mysql|postgres|postgresql|sqlite|mongodb|redis|graphql|orm|sqlalchemy"
    "|banco de dados|base de datos|database|schema do banco|stored procedure|api rest|rest api|endpoint|webhook"
    "|json schema|yaml|regex|regexp|regular expression|expressao regular|expresion regular|latex|overleaf"
    "|stack trace|stacktrace|traceback|segfault|segmentation fault|null pointer|nullpointerexception"
    "|exception|excecao|excepcion|compilador|compiler|compile|compilar|compila|debug|debugar|depurar|debugger"
    "|refactor|refatorar|refatore|refatora|refactorizar|refactoriza|unit test|unit tests|teste unitario"
    "|testes unitarios|prueba unitaria|pruebas unitarias|pytest|jest|junit|linter|eslint|typescript"
    "|frontend|backend|front end|back end|fullstack|full stack|localhost|http request|requisicao http"
    "|linguagem c|lenguaje c|c language|programa em c|programa en c|code in c|em golang|go code|codigo em go"
    "|vlookup|procv|xlookup|procx|countif|cont se|sumif|somase|excel formula|formula do excel|formula de excel"
    "|formula excel|google sheets formula|macro vba|script|scripts|codigo fonte|source code|snippet|bug|bugs"
)))
# Words that usually mean code in a request, but not always.
CODE_TERMS.update(_terms(2, (
    "code|coding|codigo|programar|programa em|programming|programacion|programacao|algorithm|algoritmo"
    "|function|funcao|funcion|method|metodo da classe|variable|variavel|loop|array|arrays|lista encadeada"
    "|linked list|hashmap|hash map|dictionary python|dicionario python|recursion|recursao|recursion|recursividad"
    "|class|struct|interface|enum|lambda|callback|async|await|promise|thread|threads|mutex|deadlock"
    "|query|api|sdk|framework|library|biblioteca|libreria|package|pacote|dependencia|dependency"
    "|deploy|deployment|container|runtime|compilacao|build|install|instalar o pacote|terminal|command line"
    "|linha de comando|linea de comandos|cli|crontab|cron job|ssh|chmod|sudo|grep|awk|sed|curl|wget"
    "|erro de sintaxe|syntax error|error de sintaxis|typeerror|valueerror|keyerror|indexerror|attributeerror"
    "|importerror|modulenotfounderror|undefined|null|nan|stdout|stderr|boolean|string|strings|integer|float"
    "|json|csv parser|parser|parse|parsear|serializar|serialize|deserialize|http|https|status code|cors"
    "|oauth|jwt|token jwt|hash|bcrypt|encoding|utf 8|unicode error|linux|bash script|windows terminal"
    "|implement|implementar|implemente|implementa|implementation|implementacao|implementacion|optimize code"
    "|otimizar o codigo|optimizar el codigo|big o|complexidade|complexity|pseudocodigo|pseudocode"
    "|formula|planilha|spreadsheet|hoja de calculo|celula|celda|cell|macro|ecuacion en latex"
)))
CODE_TERMS.update(_terms(1, (
    "fix|corrigir|corrija|arreglar|arregla|error|erro|crash|falha|warning|log|logs|output|input|server|servidor"
    "|app|aplicativo|aplicacion|site|website|pagina web|html|css|webpage|frontend|test|teste|prueba|version"
    "|versao|update|atualizar|file|arquivo|archivo|folder|pasta|directorio|directory|path|caminho|ruta"
)))

# Names that are code and nothing else: enough on their own (applied last, so they win over the lists above).
CODE_TERMS.update(_terms(4, (
    "javascript|typescript|kotlin|golang|c++|c#|php|haskell|powershell|regex|regexp|regular expression"
    "|expressao regular|expresion regular|sql|mysql|postgresql|sqlite|dockerfile|kubectl|traceback|stacktrace"
    "|stack trace|segfault|nullpointerexception|typeerror|valueerror|keyerror|indexerror|attributeerror"
    "|modulenotfounderror|importerror|syntax error|erro de sintaxe|error de sintaxis"
)))

CHAT_TERMS = {}
CHAT_TERMS.update(_terms(3, (
    "resuma|resumir|resumo|resume este|resumen|resumeme|summarize|summarise|summary|tl dr|tldr"
    "|traduza|traduzir|traducao|traduce|traducir|traduccion|translate|translation"
    "|poema|poem|poesia|poetry|cancion|cancao|song lyrics|letra de musica|soneto|sonnet|haiku"
    "|receita|recipe|receta|ingredientes|ingredients"
    "|codigo civil|codigo penal|codigo de conduta|codigo de conducta|code of conduct|codigo de etica"
    "|codigo de transito|codigo tributario|codigo de defesa do consumidor|codigo postal|postal code|zip code"
    "|codigo morse|morse code|dress code|codigo de vestimenta|codigo de barras|cep"
    "|classe social|clase social|social class|classe media|clase media|middle class|working class|classe operaria"
    "|first class|primeira classe|primera clase|classe economica|economy class"
    "|programa de tv|programa de televisao|programa de television|tv show|tv program|programa de radio"
    "|programa de governo|programa de gobierno|programa de fidelidade|programa de fidelizacion|loyalty program"
    "|programa de mestrado|programa de doutorado|programa de intercambio|exchange program"
)))
CHAT_TERMS.update(_terms(2, (
    "carta|letter|cover letter|carta de apresentacao|redacao|redaccion|essay|ensaio|ensayo"
    "|historia|story|conto|cuento|novel|romance|livro|book|libro|filme|movie|pelicula|serie|series"
    "|viagem|viaje|trip|travel|turismo|ferias|vacaciones|vacation|hotel"
    "|saude|salud|health|sintomas|symptoms|sintoma|doctor|medico|dieta|diet|exercicio|workout"
    "|advogado|abogado|lawyer|lei|ley|law|contrato de aluguel|direito|derecho|divorcio|divorce|imposto|impuesto|tax"
    "|capital of|capital de|capital do|presidente|president|guerra|war|historia do brasil|revolucao|revolucion"
    "|explain like|conselho|consejo|advice|dica|dicas|tips|opiniao|opinion|sentimentos|feelings|relacionamento"
    "|relationship|namorada|namorado|novia|novio|girlfriend|boyfriend|amigo|friend|familia|family"
    "|cobra|snake|serpente|serpiente|ilha|island|isla|cafe|coffee"
    "|marketing|slogan|post para instagram|instagram|linkedin post|tweet|legenda|caption"
    "|rewrite this paragraph|reescreva o texto|reescribe el texto|corrija o texto|revise o texto|gramatica|grammar"
)))
CHAT_TERMS.update(_terms(1, (
    "email|e mail|texto|text|paragrafo|paragraph|parrafo|frase|sentence|palavra|word|palabra|artigo|article|articulo"
    "|noticia|news|mundo|world|pais|country|cidade|city|ciudad|pessoa|person|persona|vida|life"
)))

# word: (weight, label, words that give it its other meaning)
AMBIGUOUS = {
    "python": (3, "python", (
        "cobra|snake|serpente|serpiente|reptil|reptile|jiboia|boa|pet|terrario|terrarium|zoo|zoologico|venom"
        "|veneno|mordida|bite|constrictor|piton|pitao|burmese|birmanesa|ball python|regius|monty python|filhote"
        "|alimentar|feed|eat|come|comer|habitat|escamas|scales|shed|muda de pele"
    ).split("|")),
    "java": (3, "java", (
        "ilha|island|isla|indonesia|jakarta|bali|sumatra|borneo|javanese|javanes|cafe|coffee|viagem|trip|travel"
        "|viaje|turismo|tourism|praia|beach|playa|vulcao|volcano|volcan|mar de java|java sea"
    ).split("|")),
    "rust": (2, "rust", (
        "ferrugem|oxido|oxidacion|corrosion|corrosao|metal|car|carro|coche|bike|bicicleta|paint|tinta|iron|ferro"
        "|hierro|steel|aco|acero|remove rust|fungus|fungo|plant|planta"
    ).split("|")),
    "ruby": (2, "ruby", ("gem stone|gemstone|jewel|joia|joya|anel|ring|anillo|pedra|piedra|stone|birthstone".split("|"))),
    "swift": (2, "swift", ("taylor|bird|passaro|ave|pajaro|bank transfer|transferencia|codigo swift|swift code|iban".split("|"))),
    "shell": (1, "shell", ("beach|praia|playa|concha|sea|mar|oil|petroleo|egg|ovo|huevo|turtle|tartaruga".split("|"))),
    "pandas": (2, "pandas", ("zoo|bamboo|bambu|china|bear|urso|oso|animal|animais|animales".split("|"))),
    "classe": (1, "classe", ("social|media|operaria|economica|alta|baixa|escola|school|aula|turma|sala".split("|"))),
    "clase": (1, "clase", ("social|media|obrera|economica|alta|baja|escuela|aula|profesor".split("|"))),
}

# Words that announce a new subject: after them, an earlier coding (or image) conversation no longer
# carries over to the new message ("thanks! unrelated, but...", "mudando de assunto", "otra pregunta").
TOPIC_CHANGE_TERMS = frozenset((
    "unrelated|not related|different topic|another topic|new topic|change of subject|changing the subject"
    "|switching topics|switching gears|different question|another question|new question|off topic|random question"
    "|on another note|something else|other thing"
    "|mudando de assunto|mudar de assunto|outro assunto|outra duvida|outra pergunta|nova pergunta|nada a ver"
    "|sem relacao|outra coisa|trocando de assunto|falando em outra coisa"
    "|cambiando de tema|cambio de tema|otro tema|otra pregunta|otra duda|nueva pregunta|otra cosa|sin relacion"
    "|nada que ver|aparte de eso"
).split("|"))
