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
    "|json schema|yaml|regex|regexp|regular expression|expressao regular|expresion regular|overleaf"
    "|stack trace|stacktrace|traceback|segfault|segmentation fault|null pointer|nullpointerexception"
    "|exception|excecao|excepcion|compilador|compiler|compile|compilar|compila|debug|debugar|depurar|debugger"
    "|refactor|refatorar|refatore|refatora|refactorizar|refactoriza|unit test|unit tests|teste unitario"
    "|testes unitarios|prueba unitaria|pruebas unitarias|pytest|jest|junit|linter|eslint|typescript"
    "|frontend|backend|front end|back end|fullstack|full stack|localhost|http request|requisicao http"
    "|linguagem c|lenguaje c|c language|programa em c|programa en c|code in c|em golang|go code|codigo em go"
    "|vlookup|procv|xlookup|procx|countif|cont se|sumif|somase|excel formula|formula do excel|formula de excel"
    "|formula excel|google sheets formula|macro vba|scripts|codigo fonte|source code|snippet|bugs"
)))
# Words that usually mean code in a request, but not always.
CODE_TERMS.update(_terms(2, (
    "code|coding|codigo|programar|programa em|programming|programacion|programacao|algorithm|algoritmo"
    "|funcao|funcion|method|metodo da classe|variable|variavel|loop|array|arrays|lista encadeada"
    "|linked list|hashmap|hash map|dictionary python|dicionario python|recursion|recursao|recursion|recursividad"
    "|struct|interface|enum|lambda|callback|async|await|promise|thread|threads|mutex|deadlock"
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

CODE_TERMS.update(_terms(3, (
    "div|divs|css|html|flexbox|css grid|tailwind|bootstrap css|media query|vue|nuxt|webpack|vite|jsx|tsx|props"
    "|sudo|ubuntu server|systemd|systemctl|journalctl|cron|cron expression|tmux|apache|proxy inverso|proxy reverso"
    "|reverse proxy|hacer pull|fazer pull|dar pull|hacer push|fazer push|dar push|git pull|git push|git stash"
    "|time complexity|complejidad temporal|complexidade de tempo|binary search|busca binaria|busqueda binaria"
    "|dict|dicts|google sheets|google planilhas|planilhas google|hojas de calculo de google|conditional formatting"
    "|formatacao condicional|formato condicional|comandos do terminal|comando do terminal|comandos de terminal"
    "|no terminal|na linha de comando|en la terminal|desde la terminal|in the terminal|from the terminal"
    "|pelo terminal|por terminal|seq scan|full table scan|index scan|explain analyze|union all"
    "|unrelated histories|detached head|merge conflict|conflito de merge|conflicto de merge"
)))
CODE_TERMS.update(_terms(2, (
    "node|ubuntu|debian|puntero|punteros|ponteiro|ponteiros|pointer|pointers|in c|en c|em c|in go|en go"
    "|em go|excel|cells|celdas|celulas|componente|component|i have a table|tenho uma tabela|tengo una tabla"
    "|programar una tarea|programo una tarea|agendar uma tarefa|agendar tarefa|schedule a task|tarea programada"
    "|tarefa agendada"
)))
CODE_TERMS.update(_terms(1, (
    "carpeta|carpetas|pastas|folders|column|columns|coluna|colunas|columna|columnas|process|processo|proceso"
)))

# A broader vocabulary of programming, by domain (en/pt/es), weighted by how rarely it means anything else.
CODE_TERMS.update(_terms(3, (
    # languages, libraries, tools
    "objective c|visual basic|vb net|rstudio|ggplot|ggplot2|dplyr|tidyverse|seaborn|plotly|keras|pyspark|polars"
    "|numpy|scipy|dataframe|dataframes|parquet|jupyter notebook|pip install|npm install|requirements txt"
    "|package json|node modules|virtual environment|ambiente virtual|entorno virtual|vscode|vs code|intellij"
    "|pycharm|android studio|xcode|eclipse ide|visual studio|ajax|axios|fetch api|websocket|websockets|navbar"
    "|spring|hibernate|entity framework|asp net|dotnet|net core|blazor|unity script|godot|gdscript"
    # databases
    "|primary key|chave primaria|clave primaria|foreign key|chave estrangeira|clave foranea|chaves estrangeiras"
    "|claves foraneas|procedimiento almacenado|procedimento armazenado|materialized view|view materializada"
    "|nosql|mariadb|sql server|sqlserver|oracle db|dynamodb|cassandra|elasticsearch|consulta sql|query sql"
    "|tabela dinamica|tabla dinamica|pivot table|apps script|google apps script"
    # shell, system, git, deploy
    "|grep|curl|wget|ssh|scp|rsync|mkdir|rmdir|pwd|apt get|yum|dnf|winget|homebrew|chocolatey|environment variable"
    "|environment variables|variavel de ambiente|variaveis de ambiente|variable de entorno|variables de entorno"
    "|permission denied|permissao negada|permiso denegado|command not found|comando nao encontrado"
    "|gitignore|cherry pick|git log|git reset|git revert|repositorio git|git repository|docker image|imagem docker"
    "|imagen docker|docker hub|kubernetes pod|pods|caddy|traefik|haproxy|certbot|ci cd|load balancer"
    "|balanceador de carga|s3 bucket|ec2|lambda function|cloud function|aws cli|azure cli|gcloud"
    # concepts
    "|for loop|while loop|laco for|bucle for|bucle while|if statement|if else|object oriented|orientacao a objetos"
    "|orientada a objetos|orientado a objetos|polimorfismo|polymorphism|design pattern|padrao de projeto"
    "|patron de diseno|big o notation|memory leak|vazamento de memoria|fuga de memoria|stack overflow"
    "|stackoverflow|race condition|condicao de corrida|condicion de carrera|dependency injection"
    "|injecao de dependencia|inyeccion de dependencias|unit testing|integration test|teste de integracao"
    "|meu codigo|mi codigo|my code|this code|este codigo|esse codigo|esse script|este script"
    "|codigo abaixo|codigo de abajo|code below|essa funcao|esta funcion"
    "|this function|my function|minha funcao|mi funcion|debugging|depuracion|depuracao"
    # spreadsheets and markup
    "|procv|vlookup|xlookup|procx|hlookup|proch|buscarh|countif|sumif|cont valores|concatenar celulas"
    "|indice e corresp|index and match|indice y coincidir|coincidir|vba|overleaf|bibtex|biblatex|tikz|beamer"
    "|amsmath|documentclass|usepackage|html template|template html|email template|template de email"
    "|plantilla html|plantilla de correo html"
)))
CODE_TERMS.update(_terms(2, (
    "csv|xml|github|gitlab|bitbucket|repository|repositorio|repo|stash|compose|container|contenedor|conteiner"
    "|query|queries|join|joins|trigger|bucle|bucles|laco|lacos|arreglo|arreglos|vetor|vetores|string|strings"
    "|cadena de texto|cadenas de texto|variavel|variaveis|variables|parametro|parametros|parameter|parameters"
    "|argumento|argumentos|argument|arguments|return|retorna|retorne|retornar|devuelva|devuelve|devolver"
    "|ecuacion en latex|equation in latex|equacao no latex|formula no latex|formula en latex"
    "|planilha|planilhas|hoja de calculo|hojas de calculo|spreadsheet|spreadsheets|macro|macros"
    "|landing page|pagina html|pagina web|web page|webpage|website|sitio web"
)))
CODE_TERMS.update(_terms(1, (
    "instalar|instalo|instala|installing|branch|branches|merge|checkout|clone|migration|migracao|migracion"
    "|pipeline|dns|timeout|crash|crashes|crashing|spark|nan|cd|brew|pacman|button|botao|boton|form|formulario"
    "|ordenar|sort|sorting|filtrar|filter|contar|count|somar|sumar|sum|validar|validate|converter|convertir|convert"
)))

CODE_TERMS.update(_terms(3, (
    "left join|right join|inner join|outer join|full join|cross join|self join|hover|on hover|ao passar o mouse"
    "|quando passo o mouse|passar o mouse|al pasar el raton|al pasar el mouse|pasar el raton|mouse over|onclick"
    "|const|let and const|let e const|let y const|this line|essa linha|esta linha|esta linea|that line"
)))

CODE_TERMS.update(_terms(3, (
    "eval|exec|http method|http methods|metodos http|metodo http|http verbs|verbos http|rest verbs"
)))
CODE_TERMS.update(_terms(2, (
    "command|commands|comando|comandos|comandos seguidos"
)))
CODE_TERMS.update(_terms(1, (
    "run|rodar|rodo|roda|ejecutar|ejecuto|ejecuta|executar|executo|executa"
)))

CODE_TERMS.update(_terms(3, (
    # "a function that...", "uma funcao que...": a function to be written
    "function that|function to|function which|funcao que|funcao pra|funcao para|funcion que|funcion para"
)))
CODE_TERMS.update(_terms(1, (
    # asking for something to be made: weak alone ("write a poem" is chat), decisive next to a code word
    "write a|write me a|make a|create a|escreve uma|escreve um|escreva uma|escreva um|me faz uma"
    "|me faz um|faca uma|faca um|cria uma|cria um|crie uma|crie um|haz una|haz un|hazme una|hazme un|crea una"
    "|crea un|escribe una|escribe un|escribeme una|escribeme un"
)))

# General software vocabulary (platforms, mobile, web, concepts, tools), written without looking at the
# corpus, to widen recall on wording the corpus does not have.
CODE_TERMS.update(_terms(3, (
    "aws|azure|gcp|google cloud|ec2|s3 bucket|bucket s3|cloudflare|vercel|netlify|heroku|firebase|supabase"
    "|digitalocean|ci cd|cicd|jenkins|circleci|systemd|load balancer|reverse proxy|proxy reverso|proxy inverso"
    "|certificado ssl|ssl certificate|android studio|xcode|swiftui|react native|apk|app android|aplicativo android"
    "|app de android|emulador android|android app|ios app|app ios|woocommerce|flexbox|css grid|media query"
    "|viewport|localstorage|sessionstorage|websocket|websockets|navbar|checkbox|list comprehension"
    "|dependency injection|injecao de dependencia|inyeccion de dependencias|design pattern|design patterns"
    "|padrao de projeto|padroes de projeto|patron de diseno|patrones de diseno|singleton|polymorphism|polimorfismo"
    "|encapsulation|encapsulamento|encapsulamiento|floating point|ponto flutuante|punto flotante|memory leak"
    "|vazamento de memoria|fuga de memoria|profiler|profiling|garbage collector|race condition|condicao de corrida"
    "|condicion de carrera|thread safe|parquet|etl|sql injection|injecao de sql|inyeccion sql|xss|csrf"
    "|vscode|vs code|intellij|pycharm|vim|neovim|emacs|wsl|homebrew|orientacao a objetos|orientada a objetos"
    "|object oriented|programacion orientada a objetos|programacao orientada a objetos"
)))
CODE_TERMS.update(_terms(2, (
    "android|wordpress|responsive|responsivo|responsiva|concurrency|concorrencia|concurrencia|csv|xml|oop|poo"
    "|deploy|deployar|fazer deploy|hacer deploy|heranca|herencia|inheritance|sdk|framework|dom|div|divs"
)))
CODE_TERMS.update(_terms(1, (
    "plugin|plugins|botao|boton|button|formulario|form|modal|dropdown|automatizar|automate|automation|automacao"
    "|servidor|server|memory usage|uso de memoria|consumo de memoria|pagina web|site|sitio web|website"
)))

# Names that are code and nothing else: enough on their own (applied last, so they win over the lists above).
CODE_TERMS.update(_terms(4, (
    "javascript|typescript|kotlin|golang|c++|c#|php|haskell|powershell|regex|regexp|regular expression"
    "|expressao regular|expresion regular|sql|mysql|postgresql|sqlite|dockerfile|kubectl|traceback|stacktrace"
    "|stack trace|segfault|nullpointerexception|typeerror|valueerror|keyerror|indexerror|attributeerror"
    "|modulenotfounderror|importerror|syntax error|erro de sintaxe|error de sintaxis"
    "|vim|neovim|emacs|awk|chmod|chown|useeffect|usestate|usememo|useref|sumifs|countifs|sumproduct|iferror"
    "|index match|indice corresp|buscarv|buscarx|contar si|contar si conjunto|sumar si|sumar si conjunto"
    "|cont ses|somases|arrayformula|importrange"
)))

CODE_TERMS.update(_terms(3, (
    "js|node js app|cannot find module|module not found|no module named|cannot import name"
)))
CODE_TERMS.update(_terms(2, (
    "meu site|mi web|mi sitio|my website|my site|minha pagina|mi pagina web"
    "|responsive|responsivo|responsiva|on mobile|on phones|on my phone|no celular|no telemovel|en el movil"
    "|en el celular|version movil|versao mobile|config|configuracao|configuracion"
)))
CODE_TERMS.update(_terms(1, ("rows|linhas|filas")))
CODE_TERMS.update(_terms(3, (
    "go map|map de go|map em go|mapa en go|goroutine|goroutines|go routine|barra de navegacao"
    "|barra de navegacion|navigation bar|nav bar|position sticky|position fixed"
)))
CODE_TERMS.update(_terms(2, ("sticky|z index")))
CODE_TERMS.update(_terms(1, ("map|maps|scroll|rolar a pagina|hacer scroll")))


def _plural(word: str) -> list:
    """English, Portuguese and Spanish plurals of one word (some are wrong words; they never match)."""
    if word.endswith("cao"):
        return [word[:-3] + "coes"]
    if word.endswith("on"):
        return [word + "s", word[:-2] + "ones"]
    if word.endswith(("s", "x", "z", "sh", "ch")):
        return [word + "es"]
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return [word[:-1] + "ies"]
    if word[-1] in "aeiou":
        return [word + "s"]
    return [word + "s", word + "es"]


# Plurals of the one-word code terms ("commits", "containers", "funcoes"), unless listed on their own.
for _word, _weight in list(CODE_TERMS.items()):
    if " " not in _word and len(_word) > 3 and _weight >= 2:
        for _form in _plural(_word):
            CODE_TERMS.setdefault(_form, _weight)

CHAT_TERMS = {}
CHAT_TERMS.update(_terms(3, (
    "resuma|resumir|resumo|resume este|resumen|resumeme|summarize|summarise|summary|tl dr|tldr"
    "|traduza|traduzir|traducao|traduce|traducir|traduccion|translate|translation"
    "|poema|poem|poesia|poetry|cancion|cancao|song lyrics|letra de musica|soneto|sonnet|haiku"
    "|receita|recipe|receta|ingredientes|ingredients"
    "|codigo civil|codigo penal|codigo de conduta|codigo de conducta|code of conduct|codigo de etica"
    "|codigo de transito|codigo tributario|codigo de defesa do consumidor|codigo postal|postal code|zip code"
    "|codigo genetico|genetic code|codigo de area|area code|codigo morse|morse code|dress code|codigo de vestimenta|codigo de barras"
    "|classe social|clase social|social class|classe media|clase media|middle class|working class|classe operaria"
    "|first class|primeira classe|primera clase|classe economica|economy class"
    "|programa de tv|programa de televisao|programa de television|tv show|tv program|programa de radio"
    "|programa de governo|programa de gobierno|programa de fidelidade|programa de fidelizacion|loyalty program"
    "|programa de mestrado|programa de doutorado|programa de intercambio|exchange program"
)))
CHAT_TERMS.update(_terms(2, (
    "carta|letter|cover letter|carta de apresentacao|redacao|redaccion|essay|ensaio|ensayo"
    "|historia|story|novel|romance|livro|book|libro|filme|movie|pelicula|serie|series"
    "|viagem|viaje|trip|travel|turismo|ferias|vacaciones|vacation|hotel"
    "|saude|salud|health|sintomas|symptoms|sintoma|doctor|medico|dieta|diet|exercicio|workout"
    "|advogado|abogado|lawyer|lei|ley|law|contrato de aluguel|direito|derecho|divorcio|divorce|imposto|impuesto|tax"
    "|capital of|capital de|capital do|presidente|president|guerra|war|historia do brasil|revolucao|revolucion"
    "|explain like|conselho|consejo|advice|dica|dicas|tips|opiniao|opinion|sentimentos|feelings|relacionamento"
    "|relationship|namorada|namorado|novia|novio|girlfriend|boyfriend|amigo|friend|familia|family"
    "|cobra|snake|serpente|serpiente|ilha|island|isla|cafe|coffee"
    "|marketing|slogan|post para instagram|instagram|linkedin post|tweet"
    "|rewrite this paragraph|reescreva o texto|reescribe el texto|corrija o texto|revise o texto|gramatica|grammar"
)))
CHAT_TERMS.update(_terms(3, (
    # careers and pay: "how much does a Java developer earn" is not a coding request
    "salary|salaries|salario|salarios|sueldo|sueldos|earn|earns|quanto ganha|cuanto gana|cuanto cobra|pay scale"
    "|cook|cooking|cozinhar|cocinar|jantar|cena|dinner|lunch|almoco|almuerzo"
)))
CHAT_TERMS.update(_terms(2, (
    "math|maths|matematica|matematicas|algebra|calculus|geometria|geometry|trigonometria|trigonometry"
    "|derivative|derivada|equacao do segundo grau|ecuacion de segundo grado|quadratic equation|primeiro grau"
    "|primer grado|funcao afim|funcion lineal|linear function|linear functions|homework|dever de casa|licao de casa"
    "|tarea de matematicas|exam|exame|examen|prova de|test tomorrow|prova amanha|examen manana"
    "|compile a report|compilar um relatorio|compilar un informe|compile the results"
)))
CHAT_TERMS.update(_terms(4, (
    # "explain it to me, no code": the user says it is not a coding request
    "no code|sem codigo|sin codigo|without code|without any code|nada de codigo|sin programar"
)))
CHAT_TERMS.update(_terms(3, (
    "non technical|nontechnical|nao tecnico|nao tecnica|no tecnico|no tecnica|nao e da area tecnica|leigo|leiga"
)))
CHAT_TERMS.update(_terms(2, (
    "simple terms|in simple terms|em termos simples|de um jeito simples|de forma simples|de forma sencilla"
    "|en terminos sencillos|history|podcast|podcasts"
    "|curso|cursos|course|courses|bootcamp|carreira|carrera|career|certificacao|certificacion|certification"

)))
CHAT_TERMS.update(_terms(1, (
    # everyday life: gifts, celebrations, family, pets, weather, going out (weak, but they add up)
    "conto|contos|cuento|cuentos"  # a short story, but also "I count"
    "|gift|gifts|presente de|regalo|regalos|birthday|aniversario|cumpleanos|wedding|casamento|boda|christmas"
    "|natal|navidad|weekend|fim de semana|fin de semana|restaurant|restaurants|restaurante|restaurantes"
    "|weather|clima|dog|dogs|cachorro|perro|perros|gato|gatos|baby|bebe|mom|dad|mae|pai|mama|papa"
    "|grandmother|grandma|avo|abuela|abuelo"
)))
CHAT_TERMS.update(_terms(1, (
    "caption|legenda|compile a list|compilar una lista|compilar uma lista|compila una lista"
)))
CHAT_TERMS.update(_terms(1, (
    "email|e mail|texto|text|paragrafo|paragraph|parrafo|frase|sentence|artigo|article|articulo"
    "|noticia|news|mundo|world|pais|country|cidade|city|ciudad|pessoa|person|persona|vida|life"
)))

# Pets and animals: the subject of everyday questions, not of code.
CHAT_TERMS.update(_terms(2, "puppy|puppies|filhote|filhotes|cachorrinho|perrito|perro|dog|dogs|cachorro|gato|gatos|gatito|kitten"))

# word: (weight, label, words that give it its other meaning)
AMBIGUOUS = {
    "latex": (5, "latex", (
        "allergy|alergia|gloves|luvas|guantes|glove|luva|guante|balloon|balao|globo|paint|tinta|pintura|mattress"
        "|colchao|colchon|condom|preservativo|rubber|borracha|caucho|sap|seiva|savia"
    ).split("|")),
    "class": (2, "class", (
        "gym|school|teacher|student|students|yoga|pilates|spinning|dance|cooking|lesson|lessons|grade|son|daughter"
        "|kid|kids|social|middle|working|upper|first|economy|business|world|classmates|take|beginner|beginners|course"
    ).split("|")),
    "function": (2, "function", (
        "math|maths|graph|linear|quadratic|derivative|domain|algebra|calculus|exponential|logarithmic|kidney|liver"
        "|brain|lung|heart|body|organ|wedding|party|event|social"
    ).split("|")),
    "script": (3, "script", (
        "video|videos|youtube|film|movie|play|podcast|ad|commercial|speech|tiktok|reel|reels|roteiro|guion|teatro"
        "|theater|theatre|scene|cena|escena|actor|actors|presentation|apresentacao|presentacion|call center|sales"
    ).split("|")),
    "bug": (3, "bug", (
        "insect|insects|inseto|insetos|insecto|insectos|bite|bites|picada|bed|garden|jardim|jardin|plant|plants"
        "|planta|plantas|spider|aranha|arana|mosquito|stomach|flu|gripe|virus"
    ).split("|")),
    "python": (3, "python", (
        "cobra|snake|serpente|serpiente|reptil|reptile|jiboia|boa|pet|terrario|terrarium|zoo|zoologico|venom"
        "|veneno|mordida|bite|constrictor|piton|pitao|burmese|birmanesa|ball python|regius|monty python|filhote"
        "|alimentar|feed|eat|come|comer|habitat|escamas|scales|shed|muda de pele"
    ).split("|")),
    "java": (3, "java", (
        "ilha|island|isla|indonesia|jakarta|bali|sumatra|borneo|javanese|javanes|cafe|coffee|viagem|trip|travel"
        "|viaje|turismo|tourism|praia|beach|playa|vulcao|volcano|volcan|mar de java|java sea|visit|visitar|borobudur"
        "|bromo|yogyakarta|jogja|bandung|surabaya|prambanan|temple|templo|vulcoes|volcanes|volcanoes"
    ).split("|")),
    "rust": (3, "rust", (
        "ferrugem|oxido|oxidacion|corrosion|corrosao|metal|car|carro|coche|bike|bicicleta|paint|tinta|iron|ferro"
        "|hierro|steel|aco|acero|remove rust|fungus|fungo|plant|planta"
    ).split("|")),
    "ruby": (2, "ruby", ("gem stone|gemstone|jewel|joia|joya|anel|ring|anillo|pedra|piedra|stone|birthstone".split("|"))),
    "swift": (2, "swift", ("taylor|bird|passaro|ave|pajaro|bank transfer|transferencia|codigo swift|swift code|iban".split("|"))),
    "shell": (1, "shell", ("beach|praia|playa|concha|sea|mar|oil|petroleo|egg|ovo|huevo|turtle|tartaruga".split("|"))),
    "pandas": (3, "pandas", ("zoo|bamboo|bambu|china|bear|urso|oso|animal|animais|animales".split("|"))),
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
    "|nada que ver|aparte de eso|one more question|mais uma pergunta|una pregunta mas|outra questao"
    "|by the way|btw|por cierto|a proposito|falando nisso|hablando de otra cosa"
).split("|"))
