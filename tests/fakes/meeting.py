"""A small meeting in QMSum's layout, written for this project: a budget discussion, then the XML format, then a
lunch plan, so a query about one of them has one right place in the transcript."""

TURNS = (
    [{"speaker": "Ann", "content": f"Budget item {i}: the travel budget grows by {i} percent."} for i in range(6)]
    + [{"speaker": "Bob", "content": f"On the XML format, point {i}: we keep the schema and ship it in March."}
       for i in range(6)]
    + [{"speaker": "Cy", "content": f"Lunch note {i}: pizza on Friday for the whole team."} for i in range(6)]
)

MEETING = {
    "topic_list": [{"topic": "XML", "relevant_text_span": [["6", "11"]]}],
    "general_query_list": [{"query": "Summarize the whole meeting.",
                            "answer": "The team discussed the budget, the XML format and lunch."}],
    "specific_query_list": [
        {"query": "What did the team decide about the XML format schema?",
         "answer": "Bob said they keep the schema and ship it in March.", "relevant_text_span": [["6", "11"]]},
        {"query": "What was said about lunch and pizza?", "answer": "Pizza on Friday.",
         "relevant_text_span": [["12", "17"]]},
    ],
    "meeting_transcripts": TURNS,
}
