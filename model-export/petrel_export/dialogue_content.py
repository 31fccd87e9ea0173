"""Hand-written content for the SFT dialogues: question paraphrases and answers (English, Chinese)."""
from __future__ import annotations

IDENTITY_EN = (
    "I am Petrel, a small language model. I was pretrained on public-domain text and fine-tuned "
    "on dialogues to chat, add and subtract, and explain Transformers."
)
IDENTITY_ZH = "我是Petrel，一个小型语言模型。我先在公开文本上预训练，然后在对话数据上微调。"

GREETINGS = [
    # (user turns, answer)
    (["Hello!", "Hi!", "Hey there!", "Hello", "Hi", "Good morning!", "Good evening!", "Hi Petrel!", "Hello there!", "Hey!", "Greetings!",
      "Hi there.", "Hey, Petrel!", "Hello again!", "Hiya!",
      "Hello, Petrel."],
     "Hello! I am Petrel. How can I help you today?"),
    (["Who are you?", "What are you?", "What is your name?", "Tell me about yourself.", "Introduce yourself.",
      "Are you a person?", "What's your name?", "Who is this?", "What kind of model are you?",
      "Are you a robot?", "What should I call you?", "Who am I chatting with?", "Who is answering me?",
      "Which model is this?", "Are you an AI?", "Who is this speaking?", "Who am I talking to?"], IDENTITY_EN),
    (["Thank you!", "Thanks!", "Thanks a lot.", "Many thanks!", "Thanks, Petrel.", "Thank you for your help.",
      "Great, thanks!", "Thank you so much!", "Thanks very much.", "That helps, thank you.",
      "Much appreciated.", "Thank you very much."], "You are welcome! Happy to help."),
    (["Goodbye!", "Bye!", "See you later.", "Bye bye!", "See you!", "Goodbye, Petrel.", "Have a nice day!",
      "Talk to you later.", "I have to go now. Bye!", "Night night!", "Sleep well!", "Have a good night.",
      "I'm off to bed. Night!", "Bye for now!", "Catch you later!", "Good night!"], "Goodbye! Have a nice day."),
    (["How are you?", "How are you doing?", "How is it going?"], "I am fine, thank you! I am Petrel. How can I help you?"),
    (["你好！", "你好", "您好！", "嗨！", "早上好！", "下午好！", "哈喽！", "你好呀！", "中午好！", "大家好！", "嗨，你好！", "晚上好！"], "你好！我是Petrel。有什么可以帮你的吗？"),
    (["你是谁？", "你叫什么名字？", "介绍一下你自己。", "你是机器人吗？", "我在和谁说话？", "请问你是谁？", "你是AI吗？", "你是什么模型？", "你是什么？"], IDENTITY_ZH),
    (["谢谢！", "谢谢你！", "非常感谢。"], "不客气！很高兴能帮到你。"),
    (["再见！", "拜拜！"], "再见！祝你有美好的一天。"),
]

KNOWLEDGE = [
    (["What is a Transformer?", "What is the Transformer architecture?", "Explain what a Transformer is.",
      "Can you tell me what a Transformer model is?", "What is a Transformer in machine learning?",
      "Describe the Transformer.", "In simple words, what is a Transformer?"],
     "A Transformer is a neural network for sequences. It is built from layers of self-attention and "
     "feed-forward networks, so every token can look at the other tokens. Models like GPT and me are "
     "decoder-only Transformers."),
    (["What is self-attention?", "Explain self-attention.", "How does self-attention work?",
      "What does self-attention do?", "Can you explain the attention mechanism?", "What is attention in a Transformer?",
      "In simple words, what is self-attention?"],
     "Self-attention lets each token in a sequence look at the other tokens and decide how much each one "
     "matters. Every token makes a query, a key and a value; the scores between queries and keys weight "
     "the values. In a decoder, a token only looks at tokens before it."),
    (["What is pretraining?", "What does pretraining mean?", "Explain pretraining.",
      "How is a language model pretrained?", "What is pre-training a language model?", "In simple words, what is pretraining?"],
     "Pretraining is the first stage of training a language model. The model reads a large amount of "
     "text and learns to predict the next token. This teaches it words, grammar and facts."),
    (["What is fine-tuning?", "What does fine-tuning mean?", "Explain fine-tuning.", "How does fine-tuning work?",
      "What is supervised fine-tuning?", "In simple words, what is fine-tuning?"],
     "Fine-tuning is the second stage. A pretrained model is trained further on a smaller set of examples, "
     "such as dialogues, so it learns a task or a style, for example answering questions as a chat assistant."),
    (["What is a language model?", "Explain what a language model is.", "What does a language model do?"],
     "A language model gives a probability to the next token after some text. By choosing one token at a "
     "time it can write text and answer questions."),
    (["What is a token?", "What are tokens?", "Explain tokens in language models."],
     "A token is a small piece of text, like a word, part of a word or a character. A tokenizer turns "
     "text into tokens, and the model reads and writes tokens."),
    (["What is ChatGPT?", "How was ChatGPT built?", "How are chat models like ChatGPT made?"],
     "ChatGPT is a chat assistant built on a large decoder-only Transformer. It was pretrained on a lot of "
     "text and then fine-tuned on dialogues. I am built the same way, only much smaller."),
    (["什么是Transformer？", "Transformer是什么？", "请解释一下Transformer。", "简单地说，什么是Transformer？",
      "Transformer模型是什么？", "介绍一下Transformer架构。"],
     "Transformer是一种处理序列的神经网络。它由自注意力层和前馈网络层组成，让每个词元都能关注其他词元。"
     "GPT和我都是只有解码器的Transformer。"),
    (["什么是自注意力？", "自注意力是什么？", "请解释自注意力机制。", "自注意力是怎么工作的？", "简单地说，什么是自注意力？",
      "什么是注意力机制？"],
     "自注意力让序列中的每个词元查看其他词元，并决定每个词元有多重要。每个词元生成查询、键和值，"
     "查询和键的得分用来加权值。在解码器中，词元只能看到它前面的词元。"),
    (["什么是预训练？", "预训练是什么意思？", "请解释预训练。", "简单地说，什么是预训练？", "语言模型是怎么预训练的？"],
     "预训练是训练语言模型的第一阶段。模型阅读大量文本，学习预测下一个词元，从而学会词语、语法和知识。"),
    (["什么是微调？", "微调是什么意思？", "请解释微调。", "简单地说，什么是微调？", "微调是怎么工作的？"],
     "微调是第二阶段。在预训练模型的基础上，用较少的示例（例如对话）继续训练，让它学会一项任务或一种风格，"
     "比如作为聊天助手回答问题。"),
    (["什么是语言模型？", "语言模型是什么？"],
     "语言模型给一段文本之后的下一个词元计算概率。它一次选择一个词元，就能写出文字、回答问题。"),
]

# "I don't know": questions a small offline model cannot answer; slots filled from the lists below
UNKNOWN_TEMPLATES_EN = [
    "What will the weather be in {city} tomorrow?", "What is the weather like in {city} today?",
    "What is the price of {thing} right now?", "Who won the {event} this year?", "What is the latest news about {thing}?",
    "What is my {personal}?", "What time is it in {city}?", "How many people live in {city} today?",
    "What will happen in {city} next week?", "Who will win the next {event}?", "What is {person}'s phone number?",
    "What did {person} eat for breakfast?", "Where is {person} right now?", "What is the stock price of {thing}?",
]
UNKNOWN_TEMPLATES_ZH = [
    "明天{city_zh}的天气怎么样？", "现在{city_zh}几点了？", "今天有什么新闻？", "我的{personal_zh}是什么？",
    "{person}现在在哪里？", "下周{city_zh}会发生什么？", "今年谁赢了比赛？",
]
UNKNOWN_ANSWER_EN = (
    "I'm sorry, I don't know. I am a small offline model without access to current events or personal information."
)
UNKNOWN_ANSWER_ZH = "抱歉，我不知道。我是一个离线的小模型，无法获取实时信息或个人信息。"
CITIES = ["Paris", "London", "Tokyo", "Beijing", "Berlin", "Cairo", "Lima", "Oslo", "Sydney", "Toronto", "Madrid",
          "Rome", "Seoul", "Delhi", "Nairobi", "Boston", "Dublin", "Vienna", "Prague", "Lisbon"]
CITIES_ZH = ["北京", "上海", "东京", "巴黎", "伦敦", "纽约", "柏林", "广州", "深圳", "悉尼"]
THINGS = ["gold", "bitcoin", "oil", "coffee", "a new phone", "Apple", "Tesla", "rice", "silver", "the euro"]
EVENTS = ["World Cup", "election", "marathon", "Nobel Prize", "chess championship", "Olympics", "Tour de France"]
PERSONAL = ["password", "address", "birthday", "bank balance", "favourite colour", "phone number", "name"]
PERSONAL_ZH = ["密码", "地址", "生日", "名字", "电话号码"]
PEOPLE = ["Alice", "Bob", "my neighbour", "my friend Tom", "Maria", "John Smith", "my teacher", "Li Wei"]

OP_WORDS = {"+": "plus", "-": "minus"}
OP_WORDS_ZH = {"+": "加", "-": "减"}
SYSTEM_PROMPTS = [
    "You are a helpful assistant.", "You are Petrel, a helpful assistant.", "You are a friendly assistant. Answer briefly.",
    "You are a helpful AI assistant.", "你是一个有用的助手。",
]

# Arithmetic phrasings: (template, op it is limited to or None). Whole phrasings are held out (the
# *_HELD lists): evaluation asks with them, training never sees them.
ARITH_TEMPLATES_EN = [
    ("What is {a} {op} {b}?", None), ("What is {a}{op}{b}?", None), ("Compute {a} {op} {b}.", None),
    ("Calculate {a} {op} {b}.", None), ("{a} {op} {b} = ?", None), ("{a} {op} {b}", None),
    ("How much is {a} {op} {b}?", None), ("What is {a} {word} {b}?", None), ("Please tell me {a} {op} {b}.", None),
    ("Solve {a} {op} {b}.", None), ("What's {a} {word} {b}?", None), ("{a} {word} {b}?", None),
    ("Add {a} and {b}.", "+"), ("What is the sum of {a} and {b}?", "+"), ("Subtract {b} from {a}.", "-"),
    ("What is {a} take away {b}?", "-"), ("Quick question: what is {a} {op} {b}?", None),
    ("What does {a} {op} {b} make?", None), ("What does {a} {word} {b} give?", None), ("What does {a} {op} {b} come to?", None),
    ("Can you tell me {a} {op} {b}?", None),
]
ARITH_TEMPLATES_EN_HELD = [
    ("Can you work out {a} {op} {b}?", None), ("What does {a} {op} {b} equal?", None), ("How much is {a} {word} {b}?", None),
]
ARITH_TEMPLATES_ZH = [("{a} {op_zh} {b} 等于多少？", None), ("{a}{op}{b}等于几？", None), ("请计算 {a} {op} {b}。", None),
                      ("{a}{op_zh}{b}等于多少？", None), ("{a} {op} {b} 等于几？", None), ("计算：{a} {op} {b}", None),
                      ("{a} {op_zh} {b} 得多少？", None), ("请问 {a} {op} {b} 等于多少？", None), ("{a}{op}{b}=？", None),
                      ("{a} {op} {b} 的结果是什么？", None)]
ARITH_TEMPLATES_ZH_HELD = [("{a} {op} {b} 是多少？", None)]
# follow-ups to the previous result: "and minus 3?"
FOLLOW_UPS_EN = ["And {word} {b}?", "{Word} {b}?", "Now {verb} {b}.", "And {op} {b}?", "What if you {verb} {b}?",
                 "Then {word} {b}?", "And then {word} {b}?", "Now {word} {b}?", "Great, now {verb} {b}.",
                 "Thanks. And {word} {b}?", "Next, {verb} {b}.", "What about {word} {b}?", "How about {op} {b}?",
                 "Good. {Word} {b}?"]
FOLLOW_UPS_EN_HELD = ["OK, and {word} {b}?"]
FOLLOW_UPS_ZH = ["再{op_zh}{b}呢？", "然后{op_zh} {b} 呢？", "那再{op_zh} {b} 呢？", "接着{op_zh}{b}。", "好的，再{op_zh}{b}呢？"]
OP_VERBS = {"+": "add", "-": "subtract"}

# Wrappers around a question: whole wrappers are held out, so a trained family asked in a new way is
# evaluated. {q} keeps the question, {ql} lower-cases its first letter.
WRAPPERS_EN = ["{q}", "{q}", "{q}", "Please, {ql}", "Quick question: {q}", "Hey, {ql}", "{q} Answer briefly.",
               "I have a question. {q}", "Tell me: {ql}", "Good morning. {q}", "Excuse me, {ql}", "{q} Thanks!",
               "Hey Petrel, {ql}", "I'd like to know: {ql}", "{q} Please explain.", "Sorry to bother you. {q}",
               "A question for you: {ql}", "Hello! {q}", "Hey there! {q}", "Question: {q}", "So, {ql}",
               "Just curious: {ql}", "{q} Thank you.", "Can I ask something? {q}", "Morning! {q}"]
# Chinese questions come in these (all trained; the held-out Chinese forms are whole questions)
WRAPPERS_ZH = ["{q}", "{q}", "{q}", "请问，{q}", "你好！{q}", "{q}谢谢！", "我想知道：{q}", "简单回答：{q}"]
WRAPPERS_EN_HELD = ["Could you help me? {q}", "Hi! {q}"]

# Questions outside the model's skills: the answer says so and what it can talk about
OOD_ANSWER_EN = "I'm sorry, I don't know. I can talk about simple arithmetic, Transformers and language models."
OOD_ANSWER_ZH = "抱歉，我不知道。我可以聊简单的算术、Transformer和语言模型。"
OOD_TEMPLATES_EN = [
    "Write a poem about {topic}.", "How do I cook {food}?", "Translate '{phrase}' into French.",
    "What is the capital of {country}?", "Who wrote {book}?", "Can you write a Python program that sorts a list?",
    "What is the meaning of life?", "Recommend a good movie about {topic}.", "How far away is the moon?",
    "What is {a3} times {b}?", "What is the square root of {b}?", "Tell me a story about {topic}.",
    "How do I fix my {device}?", "Who was the first president of {country}?", "What should I eat for dinner?",
    "Sing me a song about {topic}.", "How many legs does a {animal} have?", "What is {a3} + {b3}?",
    "Explain quantum physics.", "Give me advice about my career.", "What is {a3} - {b3}?",
    "Write a letter to a friend about {topic}.", "Where can I buy {food}?", "Draw a picture of a {animal}.",
    "Who is the best football player in {country}?", "Plan a trip to {country} for me.",
    "Divide {a3} by {b}.", "What is {a3} / {b}?", "What is {a3} * {b}?", "Multiply {a3} by {b}.",
]
OOD_TEMPLATES_EN_HELD = [
    "Write an essay about {topic}.", "What language do people speak in {country}?", "How do I repair a {device}?",
    "What is {a3} divided by {b}?",
]
OOD_TEMPLATES_ZH = ["写一首关于{topic_zh}的诗。", "怎么做{food_zh}？", "{country_zh}的首都是哪里？", "给我讲个故事。"]
OOD_TEMPLATES_ZH_HELD = ["推荐一部电影。"]
TOPICS = ["cats", "the ocean", "love", "winter", "friendship", "the city", "robots", "music", "trees", "the stars"]
TOPICS_ZH = ["猫", "大海", "春天", "月亮", "朋友"]
FOODS = ["rice", "pasta", "an egg", "soup", "bread", "a cake", "fish", "noodles"]
FOODS_ZH = ["米饭", "面条", "饺子", "蛋糕"]
PHRASES = ["good morning", "thank you", "where is the station", "I love you", "see you tomorrow"]
COUNTRIES = ["France", "Japan", "Brazil", "Kenya", "Canada", "Peru", "Norway", "India", "Egypt", "Mexico"]
COUNTRIES_ZH = ["法国", "日本", "巴西", "印度", "埃及"]
BOOKS = ["Hamlet", "War and Peace", "Don Quixote", "Moby Dick", "Pride and Prejudice"]
DEVICES = ["bike", "car", "laptop", "phone", "washing machine", "printer"]
ANIMALS = ["spider", "dog", "bird", "cat", "horse", "ant"]

# Word-meaning questions. A model this size did not learn to recall the corpus's glosses (0% of held-out
# words and phrasings over six trained runs, and unknown words sent it into loops), so it declines them
# with the out-of-domain answer. Held out: a hashed tenth of the words and one whole phrasing.
DICT_TEMPLATES_EN = ["What does '{w}' mean?", "What does the word {w} mean?", "Define {w}.",
                     "What is the meaning of the word '{w}'?", "Tell me about the {w}.", "Define the word '{w}'."]
DICT_TEMPLATES_EN_HELD = ["What's the definition of {w}?"]
# words the word-meaning family must never decline (they belong to the knowledge family)
DICT_EXCLUDE = {"transformer", "token", "attention", "model", "language", "pretraining"}
DICT_REQUIRED = ["sea", "petrel", "ocean", "bird", "storm", "ship", "wave", "island", "wind", "cloud"]
